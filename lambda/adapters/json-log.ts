import type { Log } from '../core/ports';

/** One JSON object per line on stdout: what CloudWatch Logs Insights and local mode's console both read. */
export function jsonLog(
  service: string,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Log {
  const emit =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      write(JSON.stringify({ level, timestamp: new Date().toISOString(), service, message, ...fields }));
  return { info: emit('INFO'), warn: emit('WARN'), error: emit('ERROR') };
}

export const silentLog: Log = { info: () => {}, warn: () => {}, error: () => {} };
