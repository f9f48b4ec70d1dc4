/**
 * RFC 3339 date-time (section 5.6): full date, `T` (or, as its note allows, a space), time with an
 * optional fraction, and a zone, `Z` or `+hh:mm`. Letters may be lower case (RFC 3339 5.6, note); they
 * are normalized. Fields are checked against the calendar below, not by `Date`, which rolls
 * `2026-02-30` over to March 2 and accepts year 0000.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))?$/;

export interface TimestampOptions {
  /**
   * Reads a time without a zone as UTC. Only for the legacy payload (Python's naive `isoformat`, which
   * Airweave means as UTC) and for times a person types into the CLI; the current payload always has `Z`.
   */
  readonly naiveIsUtc?: boolean;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Normalizes an RFC 3339 time to UTC with exactly six fraction digits and a `Z`
 * (`2026-04-23T13:50:01.482913Z`), the form Airweave sends today. Fixed width makes lexical order equal to
 * time order, which the table's sort keys and every "newer than" condition rely on. Undefined when the
 * text is not a real calendar time (month 13, February 30, hour 24, year 0000, a leap second) or has no
 * zone (unless `naiveIsUtc`).
 */
export function normalizeTimestamp(text: string, options: TimestampOptions = {}): string | undefined {
  const match = RFC3339.exec(text.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', z, sign, offH, offM] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const hasZone = z !== undefined || sign !== undefined;
  if (!hasZone && !options.naiveIsUtc) return undefined;
  // Year 0000 does not exist in RFC 3339's proleptic calendar use, and a UTC time before year 1 cannot be
  // written in the fixed-width form the keys rely on. Leap seconds (60) are refused: no sender emits them.
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (sign !== undefined) {
    const [oh, om] = [Number(offH), Number(offM)];
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const micros = fraction.padEnd(6, '0').slice(0, 6);
  const base = new Date(0);
  base.setUTCFullYear(year, month - 1, day);
  base.setUTCHours(hour, minute - offsetMinutes, second, Number(micros.slice(0, 3)));
  const utcYear = base.getUTCFullYear();
  // An offset can move a time across year 1 or 9999: outside the four-digit form, so not a valid key.
  if (utcYear < 1 || utcYear > 9999) return undefined;
  // Date keeps milliseconds only: re-attach the microseconds it dropped.
  return `${fixedIso(base)}${micros.slice(3)}Z`;
}

/** `YYYY-MM-DDTHH:MM:SS.mmm` of a Date in UTC, four-digit year (toISOString widens years before 1000). */
function fixedIso(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.` +
    pad(date.getUTCMilliseconds(), 3)
  );
}

/** Milliseconds since the epoch of a normalized timestamp. */
export function toMillis(timestamp: string): number {
  return Date.parse(timestamp);
}

/** A Date as a normalized timestamp. */
export function fromDate(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000Z`;
}
