import path from 'node:path';

/** What local mode and the CLI's `--local` agree on, so the CLI finds the local stack without flags. */
export const LOCAL = {
  tableName: 'sync-events-local',
  port: 3000,
  dynamodbPort: 8000,
  host: '127.0.0.1',
  dataDir: '.sync-events',
  secretFile: 'secret',
  notificationsFile: 'notifications.jsonl',
  lastSendFile: 'last-send.json',
} as const;

/** The repository's default app config, used when SYNC_EVENTS_CONFIG names none. */
export const DEFAULT_CONFIG_PATH = path.join(__dirname, '..', 'config', 'default.json');
