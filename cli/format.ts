import { formatAge } from '../lambda/core/duration';

const useColor = () => process.stdout.isTTY === true && !process.env.NO_COLOR;

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, gray: 90, bold: 1 } as const;
export type Color = keyof typeof CODES;

export function paint(text: string, color: Color | undefined): string {
  return color && useColor() ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

const STATUS_COLOR: Record<string, Color> = {
  fresh: 'green',
  completed: 'green',
  processed: 'green',
  succeeded: 'green',
  syncing: 'blue',
  running: 'blue',
  pending: 'blue',
  cancelling: 'yellow',
  cancelled: 'yellow',
  stale: 'yellow',
  duplicate: 'gray',
  ignored: 'gray',
  unknown: 'gray',
  failed: 'red',
  blocked: 'red',
  quarantined: 'red',
};

export function status(text: string): string {
  return paint(text, STATUS_COLOR[text]);
}

/** "3 min ago" for a timestamp; "never" for none. */
export function ago(timestamp: string | null | undefined, now = Date.now()): string {
  if (!timestamp) return 'never';
  return `${formatAge((now - Date.parse(timestamp)) / 1000)} ago`;
}

export function duration(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? '-' : formatAge(seconds);
}

// eslint-disable-next-line no-control-regex
const visible = (text: string) => text.replace(/\u001b\[\d+m/g, '').length;

/** An aligned text table; cells may carry colour codes, which take no width. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visible(cell))))
      .join('  ')
      .trimEnd();
  return [paint(line(headers), 'bold'), ...rows.map(line)].join('\n');
}

export function truncate(text: string | null | undefined, max: number): string {
  if (!text) return '';
  const one = text.replace(/\s+/g, ' ');
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
