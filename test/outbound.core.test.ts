import { failureAlert, failureSubject, teamsFor } from '../lambda/core/alerts';
import {
  alertId,
  alertMessage,
  attributeValue,
  eventMessage,
  fittedJson,
  NO_VALUE,
  SNS_LIMITS,
  snsSubject,
} from '../lambda/core/outbound';
import { settingsOf, syncEvent } from './helpers/core-fixtures';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
const attributesSize = (attributes: Record<string, string>) =>
  Object.entries(attributes).reduce(
    (sum, [name, value]) => sum + bytes(name) + bytes('String') + bytes(value),
    0,
  );

describe('SNS subject, one rule at a time', () => {
  it.each([
    ['a C1 control character', 'a\u0085b', 'ab'],
    ['DEL', 'a\u007fb', 'ab'],
    ['a cursor move sequence, whole', 'a\u001b[2Kb', 'ab'],
    ['a two-character escape, whole', 'a\u001bMb', 'ab'],
    ['a non-character', 'a\uffffb', 'a\ufffdb'],
    ['a lone low surrogate', 'a\udc00b', 'a\ufffdb'],
    ['runs of white space', 'a  \t b', 'a b'],
    ['surrounding white space', '  a b  ', 'a b'],
    ['a surrogate pair, kept', 'a 😀 b', 'a 😀 b'],
  ])('%s', (_rule, input, expected) => {
    expect(snsSubject(input)).toBe(expected);
  });

  it('a long subject is cut to 96 characters plus an ellipsis, without a space before it', () => {
    expect(snsSubject(`${'a'.repeat(95)} bcdef`)).toBe(`${'a'.repeat(95)}...`);
    expect(snsSubject('b'.repeat(120))).toBe(`${'b'.repeat(96)}...`);
  });

  it('a subject of exactly 99 characters is kept whole', () => {
    expect(snsSubject('c'.repeat(99))).toBe('c'.repeat(99));
  });

  it('a cut that would split a surrogate pair keeps the pair out whole', () => {
    const subject = snsSubject(`${'a'.repeat(95)}😀tail`);
    expect(subject).toBe(`${'a'.repeat(95)}...`);
  });
});

describe('attribute values', () => {
  it('keep text as is, remove escape sequences, and cut at 256 characters', () => {
    expect(attributeValue('github')).toBe('github');
    expect(attributeValue(' padded ')).toBe(' padded ');
    expect(attributeValue('\u001b[31mred\u001b[0m')).toBe('red');
    expect(attributeValue('x'.repeat(257))).toBe('x'.repeat(256));
    expect(attributeValue(undefined)).toBe(NO_VALUE);
    expect(attributeValue(`${'x'.repeat(255)}😀`)).toBe('x'.repeat(255));
  });

  it('a pair before the cut does not move it; invalid characters become U+FFFD; blank text is no value', () => {
    expect(attributeValue(`😀${'x'.repeat(300)}`)).toBe(`😀${'x'.repeat(254)}`);
    expect(attributeValue('a\uffffb\ud800c')).toBe('a\ufffdb\ufffdc');
    expect(attributeValue(' \t ')).toBe(NO_VALUE);
    expect(attributeValue('')).toBe(NO_VALUE);
  });
});

describe('message size', () => {
  it('a body that fits is sent whole, indented as asked', () => {
    expect(fittedJson({ error: 'short' }, {})).toBe('{"error":"short"}');
    expect(fittedJson({ error: 'short' }, {}, 2)).toBe('{\n  "error": "short"\n}');
  });

  it('counts the attributes in the limit, and cuts only the long text fields, as little as needed', () => {
    const attributes = { kind: 'x'.repeat(200) };
    const budget = SNS_LIMITS.messageMaxBytes - attributesSize(attributes);
    const body = {
      id: 'keep',
      nested: [{ last_error: 'e'.repeat(300_000) }],
      error: 'f'.repeat(10),
      count: 3,
    };
    const text = fittedJson(body, attributes);
    expect(bytes(text)).toBeLessThanOrEqual(budget);
    expect(bytes(text)).toBeGreaterThan(budget - 200);
    const parsed = JSON.parse(text);
    expect(parsed).toMatchObject({ id: 'keep', error: 'f'.repeat(10), count: 3 });
    expect(parsed.nested[0].last_error).toMatch(
      /^e+\.\.\. \[truncated from 300000 bytes; the whole text is in the audit record\]$/,
    );
  });

  /** Attributes that leave exactly `room` bytes of the message limit for the body. */
  const leaving = (room: number) => ({
    pad: 'p'.repeat(SNS_LIMITS.messageMaxBytes - room - bytes('pad') - bytes('String')),
  });
  const note = (from: number) => `... [truncated from ${from} bytes; the whole text is in the audit record]`;

  it('cuts to the longest length that fits exactly, leaving a long field already that short whole', () => {
    // The expected text fills the room to the byte: one byte less of room must cut one more character.
    for (const indent of [undefined, 2]) {
      const body = { error: 'a'.repeat(1000), last_error: 'b'.repeat(300_000) };
      const expected = JSON.stringify(
        { error: 'a'.repeat(1000), last_error: `${'b'.repeat(1000)}${note(300_000)}` },
        null,
        indent,
      );
      expect(fittedJson(body, leaving(bytes(expected)), indent)).toBe(expected);
      // Cut to 999, the error would be longer with its note than whole: it stays whole.
      const tighter = JSON.stringify(
        { error: 'a'.repeat(1000), last_error: `${'b'.repeat(999)}${note(300_000)}` },
        null,
        indent,
      );
      expect(fittedJson(body, leaving(bytes(expected) - 1), indent)).toBe(tighter);
    }
  });

  it('a long field whose cut with its note would be just as long is left whole', () => {
    const length = 1000 + note(2000).length;
    const body = { error: 'a'.repeat(length), last_error: 'b'.repeat(300_000) };
    const expected = JSON.stringify({ error: body.error, last_error: `${'b'.repeat(1000)}${note(300_000)}` });
    expect(fittedJson(body, leaving(bytes(expected)))).toBe(expected);
  });

  it('cuts only long text fields: other text, nulls, arrays and a long field that is not text stay as they are', () => {
    const body = {
      message: 'm'.repeat(200_000),
      empty: null,
      list: [{ last_error: 'e'.repeat(100_000) }, 7],
      error: { code: 'E1' },
      last_error: Array.from({ length: 100 }, () => 0),
    };
    const text = fittedJson(body, {});
    expect(bytes(text)).toBeLessThanOrEqual(SNS_LIMITS.messageMaxBytes);
    const parsed = JSON.parse(text);
    expect(parsed).toEqual({ ...body, list: [{ last_error: expect.any(String) }, 7] });
    expect(Array.isArray(parsed.list)).toBe(true);
    // As little as needed: what the other fields leave, less the note.
    const cutTo = parsed.list[0].last_error.length - note(100_000).length;
    expect(parsed.list[0].last_error).toBe(`${'e'.repeat(cutTo)}${note(100_000)}`);
    expect(cutTo).toBeGreaterThan(60_000);
  });

  it('an indented body whose other fields alone are over the limit is sent without indentation', () => {
    const body = { items: Array.from({ length: 40_000 }, () => 1), error: 'x'.repeat(100) };
    const text = fittedJson(body, {}, 2);
    expect(bytes(JSON.stringify(body, null, 2))).toBeGreaterThan(SNS_LIMITS.messageMaxBytes);
    expect(text).toBe(JSON.stringify({ items: body.items, error: `${note(100)}` }));
  });

  it('a body exactly at the limit is not cut', () => {
    const overhead = bytes(JSON.stringify({ error: '' }));
    const body = { error: 'a'.repeat(SNS_LIMITS.messageMaxBytes - overhead) };
    expect(fittedJson(body, {})).toBe(JSON.stringify(body));
    const over = { error: 'a'.repeat(SNS_LIMITS.messageMaxBytes - overhead + 1) };
    expect(fittedJson(over, {})).not.toBe(JSON.stringify(over));
  });
});

describe('messages', () => {
  const event = syncEvent({
    event_type: 'sync.failed',
    sync_job_id: 'job-9',
    error: 'boom',
    source_type: 'github',
  });

  it("an event's message is the event, with the attributes caches filter on", () => {
    const built = eventMessage(event);
    expect(JSON.parse(built.message)).toEqual(JSON.parse(JSON.stringify(event)));
    expect(built.subject).toBeUndefined();
    expect(built.attributes).toEqual({
      event_type: 'sync.failed',
      collection: event.collection_readable_id,
      source_type: 'github',
      source_connection_id: event.source_connection_id,
      event_id: 'job-9:sync.failed',
    });
  });

  it("an alert's message: its subject, id and body, and kind, collection, source type and id attributes", () => {
    const alert = failureAlert(event, null);
    const built = alertMessage(alert);
    expect(built.subject).toBe(`Sync failed: ${event.collection_readable_id} / github: boom`);
    expect(built.attributes).toEqual({
      kind: 'sync.failed',
      collection: event.collection_readable_id,
      source_type: 'github',
      alert_id: alert.alert_id,
    });
    expect(JSON.parse(built.message)).toEqual({
      subject: built.subject,
      alert_id: alert.alert_id,
      kind: 'sync.failed',
      event: JSON.parse(JSON.stringify(event)),
      freshness: null,
    });
    expect(built.message).toContain('\n  "subject"');
  });

  it('an alert id is made of its kind and everything it is about, in order', () => {
    expect(alertId('source.stale', 'a', 'b')).toMatch(/^source\.stale:[0-9a-f]{32}$/);
    expect(alertId('source.stale', 'a', 'b')).toBe(alertId('source.stale', 'a', 'b'));
    expect(alertId('source.stale', 'a', 'b')).not.toBe(alertId('source.stale', 'b', 'a'));
    expect(alertId('source.stale', 'ab')).not.toBe(alertId('source.stale', 'a', 'b'));
    expect(alertId('job.stuck', 'a', 'b')).not.toBe(alertId('source.stale', 'a', 'b'));
  });
});

describe('alert routing', () => {
  const routes = settingsOf({
    alerts: [
      { team: 'eng', match: { collections: ['engineering-*'] } },
      { team: 'sales', match: { collections: ['sales'], sourceTypes: ['hubspot'] } },
      { team: 'git', match: { sourceTypes: ['github', 'gitlab'] } },
      { team: 'all' },
    ],
  }).alerts;

  it('every team whose rule matches, in the order written', () => {
    expect(teamsFor({ collection_readable_id: 'engineering-x', source_type: 'github' }, routes)).toEqual([
      'eng',
      'git',
      'all',
    ]);
    expect(teamsFor({ collection_readable_id: 'sales', source_type: 'hubspot' }, routes)).toEqual([
      'sales',
      'all',
    ]);
    expect(teamsFor({ collection_readable_id: 'sales', source_type: 'github' }, routes)).toEqual([
      'git',
      'all',
    ]);
    expect(teamsFor({ collection_readable_id: 'salesforce', source_type: 'hubspot' }, routes)).toEqual([
      'all',
    ]);
  });

  it('the default team when no rule matches', () => {
    expect(teamsFor({ collection_readable_id: 'other', source_type: 'slack' }, routes.slice(0, 3))).toEqual([
      'default',
    ]);
    expect(teamsFor({ collection_readable_id: 'other', source_type: 'slack' }, [])).toEqual(['default']);
  });

  it('a failure subject names the collection, the source and the error, or says there was none', () => {
    expect(failureSubject({ collection_readable_id: 'c', source_type: 'github' }, 'token expired')).toBe(
      'Sync failed: c / github: token expired',
    );
    expect(failureSubject({ collection_readable_id: 'c', source_type: '' }, null)).toBe(
      'Sync failed: c / unknown source: no error message',
    );
  });
});
