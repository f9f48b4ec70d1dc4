import { existsSync } from 'node:fs';
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
  /** Held by the running local stack, so a second one cannot open the same data. */
  lockFile: 'lock',
  /** `sync-events board`'s port: next to the local stack's, so both can run at once. */
  boardPort: 3001,
  /**
   * Deliveries the local server works on at once; more wait their turn, first come first served. Its one
   * engine serves one request at a time and a delivery makes 3 to 6 calls: past a few deliveries in
   * flight, the rest only queue inside, each call behind every other delivery's. Measured with
   * bench/local-load.ts (50 concurrent requests): p99 870 ms unlimited, 680 ms at 16, 590-610 ms at 8,
   * 670 ms at 4 (lower throughput).
   */
  deliveriesInFlight: 8,
} as const;

/**
 * The project's folder: the nearest one above this module with a package.json. Found, not assumed,
 * because this module runs from `local/` (tsx, the tests) and from the compiled `dist/cli.js` alike.
 */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.dirname(from);
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);

/**
 * A path from the environment or a default, resolved against the project's folder rather than the
 * current directory: `npm start` (which npm runs in the project's folder) and `sync-events` run from a
 * subdirectory must find the same data folder and config.
 */
export const fromProjectRoot = (file: string) => path.resolve(PROJECT_ROOT, file);

/** The repository's default app config, used when SYNC_EVENTS_CONFIG names none. */
export const DEFAULT_CONFIG_PATH = fromProjectRoot('config/default.json');

/** The local stack's data folder: SYNC_EVENTS_DATA, else `.sync-events/` in the project's folder. */
export const localDataDir = (env: NodeJS.ProcessEnv = process.env) =>
  fromProjectRoot(env.SYNC_EVENTS_DATA || LOCAL.dataDir);

/** The freshness board's page (plain files, no build), served by the local stack and `sync-events board`. */
export const BOARD_DIR = fromProjectRoot('board');
