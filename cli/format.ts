import { formatAge } from '../lambda/core/duration';
import { visible } from './terminal';

const useColor = () => process.stdout.isTTY === true && !process.env.NO_COLOR;

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, gray: 90, bold: 1 } as const;
export type Color = keyof typeof CODES;

/**
 * A piece of human output: text taken as data, and an optional colour. Rendering makes the text visible
 * (`visible`) before adding the colour codes, so the only escape sequences that reach the terminal are
 * the ones this module writes.
 */
export class Styled {
  constructor(
    readonly text: string,
    readonly color?: Color,
  ) {}
}

/** A table cell or an interpolated value: plain text is data too. */
export type Cell = string | number | Styled;

export function paint(text: string, color: Color | undefined): Styled {
  return new Styled(text, color);
}

/** The terminal form of a cell: control characters made visible, then coloured. */
export function render(cell: Cell): string {
  const styled = cell instanceof Styled ? cell : new Styled(String(cell));
  const text = visible(styled.text);
  return styled.color && useColor() ? `\u001b[${CODES[styled.color]}m${text}\u001b[0m` : text;
}

/**
 * A line of human output: the template's literal parts are ours and printed as written, every
 * interpolated value is data and rendered (`line\`job ${id}: ${status(state)}\``).
 */
export function line(parts: TemplateStringsArray, ...values: Cell[]): string {
  return parts.reduce(
    (out, part, i) => out + part + (i < values.length ? render(values[i] as Cell) : ''),
    '',
  );
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

export function status(text: string): Styled {
  return new Styled(text, STATUS_COLOR[text]);
}

/**
 * The one time format of human output: ISO 8601 in UTC to the second, with `Z`
 * (`2026-11-30T08:37:35Z`). Recorded timestamps carry microseconds; a person needs none of them.
 */
export function time(timestamp: string | null | undefined): string {
  if (!timestamp) return '-';
  const millis = Date.parse(timestamp);
  return Number.isNaN(millis) ? timestamp : `${new Date(millis).toISOString().slice(0, 19)}Z`;
}

/** "3 min ago" for a timestamp; "never" for none. */
export function ago(timestamp: string | null | undefined, now = Date.now()): string {
  if (!timestamp) return 'never';
  return `${formatAge((now - Date.parse(timestamp)) / 1000)} ago`;
}

/** A time with its age, where the age is what a reader wants first: `2026-11-30T08:37:35Z (3 min ago)`. */
export function when(timestamp: string | null | undefined, now = Date.now()): string {
  return timestamp ? `${time(timestamp)} (${ago(timestamp, now)})` : 'never';
}

export function duration(seconds: number | null | undefined): string {
  return seconds === null || seconds === undefined ? '-' : formatAge(seconds);
}

/** An aligned text table of rendered cells; the widths count what the terminal shows. */
export function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const width = (cell: Cell) => visible(cell instanceof Styled ? cell.text : String(cell)).length;
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => width(r[i] ?? ''))));
  const format = (cells: readonly Cell[]) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1 ? render(cell) : render(cell) + ' '.repeat((widths[i] ?? 0) - width(cell)),
      )
      .join('  ')
      .trimEnd();
  // Headers are ours and carry no control characters, so rendering them as one bold cell changes nothing else.
  return [render(paint(format(headers), 'bold')), ...rows.map(format)].join('\n');
}

export function truncate(text: string | null | undefined, max: number): string {
  if (!text) return '';
  const one = text.replace(/\s+/g, ' ');
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
