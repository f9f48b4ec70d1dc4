import { fromDate, normalizeTimestamp, toMillis } from '../lambda/core/timestamp';

/** Each case breaks one calendar rule alone, so dropping that one check changes the answer. */
describe('normalizeTimestamp calendar checks, one rule at a time', () => {
  it("normalizeTimestamp('2026-02-30T10:00:00Z') is refused, not rolled over to March 2", () => {
    expect(normalizeTimestamp('2026-02-30T10:00:00Z')).toBeUndefined();
    expect(normalizeTimestamp('2026-02-29T10:00:00Z')).toBeUndefined();
  });

  it.each([
    ['2026-01-31T00:00:00Z', '2026-01-31T00:00:00.000000Z'],
    ['2026-03-31T00:00:00Z', '2026-03-31T00:00:00.000000Z'],
    ['2026-06-30T00:00:00Z', '2026-06-30T00:00:00.000000Z'],
    ['2026-12-31T23:59:59Z', '2026-12-31T23:59:59.000000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000000Z'],
    ['2026-02-28T00:00:00Z', '2026-02-28T00:00:00.000000Z'],
  ])('accepts the last day of its month %s', (input, expected) => {
    expect(normalizeTimestamp(input)).toBe(expected);
  });

  it.each([
    ['day 31 of a 30-day month', '2026-06-31T00:00:00Z'],
    ['February 29 of a century year not divisible by 400', '2100-02-29T00:00:00Z'],
    ['day 0', '2026-04-00T00:00:00Z'],
    ['month 0', '2026-00-10T00:00:00Z'],
    ['month 13', '2026-13-10T00:00:00Z'],
    ['year 0000, even when its offset lands in year 1', '0000-12-31T23:00:00-02:00'],
    ['a time whose offset carries it past year 9999', '9999-12-31T23:00:00-02:00'],
    ['an offset of 24 hours', '2026-04-23T10:00:00+24:00'],
    ['an offset of 60 minutes', '2026-04-23T10:00:00+05:60'],
  ])('refuses %s (%s)', (_rule, input) => {
    expect(normalizeTimestamp(input)).toBeUndefined();
  });

  it.each([
    ['the last second of year 9999', '9999-12-31T23:59:59Z', '9999-12-31T23:59:59.000000Z'],
    ['the largest offsets', '2026-04-23T10:00:00+23:59', '2026-04-22T10:01:00.000000Z'],
    ['a negative offset', '2026-04-23T10:00:00-05:30', '2026-04-23T15:30:00.000000Z'],
    ['the last minute of a day', '2026-04-23T23:59:00Z', '2026-04-23T23:59:00.000000Z'],
    ['surrounding white space', '  2026-04-23T10:00:00Z\n', '2026-04-23T10:00:00.000000Z'],
    ['nine fraction digits, cut to six', '2026-04-23T10:00:00.123456789Z', '2026-04-23T10:00:00.123456Z'],
    ['a year before 1000, kept four digits wide', '0999-04-23T10:00:00Z', '0999-04-23T10:00:00.000000Z'],
  ])('accepts %s', (_case, input, expected) => {
    expect(normalizeTimestamp(input)).toBe(expected);
  });

  it.each([
    ['text before the time', 'x2026-04-23T10:00:00Z'],
    ['text after the zone', '2026-04-23T10:00:00Zjunk'],
    ['ten fraction digits', '2026-04-23T10:00:00.1234567890Z'],
    ['an empty fraction', '2026-04-23T10:00:00.Z'],
    ['another separator than T or a space', '2026-04-23X10:00:00Z'],
    ['a two-digit year', '26-04-23T10:00:00Z'],
    ['a one-digit hour', '2026-04-23T1:00:00Z'],
    ['letters in place of digits', '2026-04-2aT10:00:00Z'],
    ['an offset without its colon', '2026-04-23T10:00:00+0530'],
    ['another zone letter', '2026-04-23T10:00:00A'],
  ])('refuses %s', (_case, input) => {
    expect(normalizeTimestamp(input)).toBeUndefined();
    expect(normalizeTimestamp(input, { naiveIsUtc: true })).toBeUndefined();
  });

  it('reads a zone-less time as UTC only when told to', () => {
    expect(normalizeTimestamp('2026-04-23 10:00:00')).toBeUndefined();
    expect(normalizeTimestamp('2026-04-23 10:00:00', { naiveIsUtc: true })).toBe(
      '2026-04-23T10:00:00.000000Z',
    );
    expect(normalizeTimestamp('2026-04-23T10:00:00+02:00', { naiveIsUtc: true })).toBe(
      '2026-04-23T08:00:00.000000Z',
    );
  });
});

describe('timestamp conversions', () => {
  it('a Date becomes the normalized form, and back to the same milliseconds', () => {
    const date = new Date('2026-04-23T13:50:01.482Z');
    expect(fromDate(date)).toBe('2026-04-23T13:50:01.482000Z');
    expect(toMillis(fromDate(date))).toBe(date.getTime());
    expect(toMillis('2026-04-23T13:50:01.482913Z')).toBe(date.getTime());
  });
});
