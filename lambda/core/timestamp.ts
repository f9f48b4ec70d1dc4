const ISO = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Normalizes an ISO-8601 time to UTC with exactly six fraction digits and a `Z`
 * (`2026-04-23T13:50:01.482913Z`), the form Airweave sends today. Fixed width makes lexical order equal to
 * time order, which the table's sort keys and every "newer than" condition rely on. Legacy installs send
 * offsets or no zone at all (Python's naive isoformat, which Airweave means as UTC). Undefined when invalid.
 */
export function normalizeTimestamp(text: string): string | undefined {
  const match = ISO.exec(text.trim());
  if (!match) return undefined;
  const [, date, time, fraction = '', zone = 'Z'] = match;
  const micros = fraction.padEnd(6, '0').slice(0, 6);
  const base = new Date(`${date}T${time}.${micros.slice(0, 3)}${zone.toUpperCase() === 'Z' ? 'Z' : zone}`);
  if (Number.isNaN(base.getTime())) return undefined;
  // Date keeps milliseconds only: re-attach the microseconds it dropped.
  return `${base.toISOString().slice(0, 23)}${micros.slice(3)}Z`;
}

/** Milliseconds since the epoch of a normalized timestamp. */
export function toMillis(timestamp: string): number {
  return Date.parse(timestamp);
}

/** A Date as a normalized timestamp. */
export function fromDate(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000Z`;
}
