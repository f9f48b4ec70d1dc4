import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, parseConfig } from '../lambda/core/config';
import { formatDuration, parseDuration } from '../lambda/core/duration';
import { SettingError } from '../lambda/core/errors';
import { parseRuntimeSettings } from '../lambda/core/settings';
import { classifyPayload } from '../lambda/core/events';
import { decodeSecrets, sign, signedHeaders, verifyDelivery } from '../lambda/core/signature';
import { normalizeTimestamp } from '../lambda/core/timestamp';
import { currentPayload, NOW_SECONDS, SECRET } from '../harness/deliveries';

describe('timestamps', () => {
  it.each([
    ['2026-04-23T13:50:01.482913Z', '2026-04-23T13:50:01.482913Z'],
    ['2026-04-23T13:50:01Z', '2026-04-23T13:50:01.000000Z'],
    ['2026-04-23T15:50:01.482913+02:00', '2026-04-23T13:50:01.482913Z'],
    ['2026-04-23 13:50:01.482913789+00:00', '2026-04-23T13:50:01.482913Z'],
    // RFC 3339 5.6 allows lower-case t and z; they are normalized to the upper-case form.
    ['2026-04-23t13:50:01.5z', '2026-04-23T13:50:01.500000Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000000Z'],
    ['2000-02-29T23:59:59.999999-00:30', '2000-03-01T00:29:59.999999Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000000Z'],
  ])('normalizes %s to fixed-width UTC', (input, expected) => {
    expect(normalizeTimestamp(input)).toBe(expected);
  });

  it.each([
    'yesterday',
    '',
    '2026-04-23',
    '2026-13-45T00:00:00Z',
    '2026-02-30T10:00:00Z',
    '2026-02-29T10:00:00Z',
    '1900-02-29T10:00:00Z',
    '2026-04-31T10:00:00Z',
    '0000-01-01T00:00:00Z',
    '2026-04-23T24:00:00Z',
    '2026-04-23T23:60:00Z',
    '2026-04-23T23:59:60Z',
    '2026-04-23T13:50:01+0200',
    '2026-04-23T13:50:01+24:00',
    '2026-04-23T13:50:01+02:60',
    '0001-01-01T00:30:00+01:00',
    '2026-04-23T13:50:01.5',
  ])('refuses %j', (input) => {
    expect(normalizeTimestamp(input)).toBeUndefined();
  });

  it('reads a time without a zone as UTC only when asked (legacy payload, CLI)', () => {
    expect(normalizeTimestamp('2026-04-23T13:50:01.5', { naiveIsUtc: true })).toBe(
      '2026-04-23T13:50:01.500000Z',
    );
    expect(normalizeTimestamp('2026-02-30T13:50:01', { naiveIsUtc: true })).toBeUndefined();
  });
});

describe('payload classification', () => {
  it('normalizes both payload generations into one event', () => {
    const current = classifyPayload(
      JSON.stringify(currentPayload({ event_type: 'sync.failed', error: 'boom' })),
    );
    expect(current).toMatchObject({
      kind: 'lifecycle',
      event: { state: 'failed', error: 'boom', payload_format: 'current' },
    });
    const legacy = classifyPayload(
      JSON.stringify({
        event_type: 'sync.running',
        job_id: 'j1',
        collection_readable_id: 'c',
        source_type: 'slack',
        status: 'in_progress',
        timestamp: '2026-04-23T13:00:00Z',
      }),
    );
    expect(legacy).toMatchObject({
      kind: 'lifecycle',
      event: { sync_job_id: 'j1', state: 'running', source_key: 'type:slack', error: null },
    });
  });

  it('uses the collection UUID when the readable id is empty, and drops errors outside sync.failed', () => {
    const result = classifyPayload(
      JSON.stringify(currentPayload({ collection_readable_id: '', error: 'stray' })),
    );
    expect(result).toMatchObject({
      kind: 'lifecycle',
      event: { collection_readable_id: 'c0ffee00-1111-4222-8333-444455556666', error: null },
    });
  });

  it.each(['search.completed', 'collection.created', 'source_connection.deleted', 'organization.updated'])(
    'ignores %s',
    (type) => {
      expect(classifyPayload(JSON.stringify({ event_type: type }))).toEqual({
        kind: 'ignored',
        eventType: type,
      });
    },
  );
});

describe('Svix signatures', () => {
  const body = JSON.stringify(currentPayload());

  it('match the official svix library byte for byte, both ways', () => {
    // svix 2.x is ESM-only; a child process imports it as a real consumer would.
    const script = `import { Webhook } from 'svix';
      const [secret, body, ours] = process.argv.slice(1);
      const wh = new Webhook(secret);
      process.stdout.write(JSON.stringify({
        theirs: wh.sign('msg_compat', new Date(1776952500 * 1000), body),
        verifiesOurs: (() => { try { wh.verify(body, JSON.parse(ours)); return true; } catch { return false; } })(),
      }));`;
    const ours = signedHeaders(SECRET, 'msg_compat', Math.floor(Date.now() / 1000), body);
    const out = JSON.parse(
      execFileSync(
        process.execPath,
        ['--input-type=module', '-e', script, SECRET, body, JSON.stringify(ours)],
        { encoding: 'utf8' },
      ),
    ) as { theirs: string; verifiesOurs: boolean };
    const [key] = decodeSecrets([SECRET]);
    expect(out.theirs).toBe(`v1,${sign(key as Buffer, 'msg_compat', 1776952500, body)}`);
    expect(out.verifiesOurs).toBe(true);
  });

  it('compares the canonical base64 text, as svix does: re-encodings of the right bytes are refused', () => {
    const [key] = decodeSecrets([SECRET]) as [Buffer];
    const variants = (good: string) => [
      good,
      good.replace(/\+/g, '-').replace(/\//g, '_'), // base64url
      good.replace(/=+$/, ''), // missing padding
      `${good}AA==`, // junk after the padding
      `${good.slice(0, 20)}\n${good.slice(20)}`, // a line break inside
    ];
    const headersFor = (id: string, at: number) =>
      variants(sign(key, id, at, body)).map((signature) => ({
        'svix-id': id,
        'svix-timestamp': String(at),
        'svix-signature': `v1,${signature}`,
      }));
    // An id whose signature has both '+' and '/', so that the base64url variant differs from it.
    const idWith = (at: number) => {
      for (let n = 0; ; n++) if (/\+.*\/|\/.*\+/.test(sign(key, `msg_${n}`, at, body))) return `msg_${n}`;
    };
    const ours = headersFor(idWith(NOW_SECONDS), NOW_SECONDS).map((h) => {
      try {
        verifyDelivery(h, Buffer.from(body), [key], NOW_SECONDS);
        return true;
      } catch {
        return false;
      }
    });
    expect(ours).toEqual([true, false, false, false, false]);
    // The official library's verdict on the same variants (signed now: it checks its own clock).
    const now = Math.floor(Date.now() / 1000);
    const script = `import { Webhook } from 'svix';
      const [secret, body, all] = process.argv.slice(1);
      const wh = new Webhook(secret);
      const verdicts = JSON.parse(all).map((h) => { try { wh.verify(body, h); return true; } catch { return false; } });
      process.stdout.write(JSON.stringify(verdicts));`;
    const theirs = JSON.parse(
      execFileSync(
        process.execPath,
        ['--input-type=module', '-e', script, SECRET, body, JSON.stringify(headersFor(idWith(now), now))],
        { encoding: 'utf8' },
      ),
    ) as boolean[];
    expect(theirs).toEqual(ours);
  });

  it('refuses a secret that is not base64 at start-up, naming the problem', () => {
    expect(() => decodeSecrets(['whsec_***'])).toThrow(/whsec_<base64>/);
    expect(() => decodeSecrets(['', ' '])).toThrow(/no webhook signing secret/);
  });

  it('verifies against the raw bytes, not re-encoded text', () => {
    const raw = Buffer.from('{"event_type":"sync.completed","note":"caf\u00e9"}');
    const [key] = decodeSecrets([SECRET]) as [Buffer];
    const headers = {
      'svix-id': 'm',
      'svix-timestamp': '100',
      'svix-signature': `v1,${sign(key, 'm', 100, raw)}`,
    };
    expect(verifyDelivery(headers, raw, [key], 100)).toEqual({ id: 'm', timestamp: 100 });
    expect(() => verifyDelivery(headers, Buffer.from(raw.toString('latin1'), 'utf8'), [key], 100)).toThrow(
      /no signature/,
    );
  });
});

describe('app config', () => {
  it('accepts the default config shipped in the repository', () => {
    const document = JSON.parse(readFileSync(path.join(__dirname, '..', 'config', 'default.json'), 'utf8'));
    expect(parseConfig(document).pipelines.map((p) => p.name)).toContain('error-analysis');
  });

  it.each([
    [{ freshness: [{ collection: '*', maxAge: '6x' }] }, 'freshness[0].maxAge: expected a duration'],
    [{ freshness: [{ collection: 'a*b', maxAge: '6h' }] }, 'freshness[0].collection: only a trailing *'],
    [{ retentionDays: 0 }, 'retentionDays'],
    [{ alerts: [{ team: 'ops', match: {}, emails: ['not-an-email'] }] }, 'alerts[0].emails[0]'],
    [{ alerts: [{ team: 'ops', match: { colections: ['x'] } }] }, 'alerts[0].match'],
    [
      { pipelines: [{ name: 'p', collection: 'eng-*', requires: ['github'], window: '30m' }] },
      'pipelines[0].collection: a pipeline names one collection',
    ],
    [{ pipelines: [{ name: 'p', collection: 'c', requires: [], window: '30m' }] }, 'pipelines[0].requires'],
    [
      { pipelines: [{ name: 'p', collection: 'c', requires: ['x'], window: '30m', team: 'nobody' }] },
      'pipelines[0].team: no alert team',
    ],
    [{ unknownKey: 1 }, 'unknownKey'],
  ])('names the bad field of %j', (document, message) => {
    expect(() => parseConfig(document)).toThrow(ConfigError);
    expect(() => parseConfig(document)).toThrow(message);
  });

  it('parses durations', () => {
    expect([parseDuration('90s'), parseDuration('30m'), parseDuration('6h'), parseDuration('2d')]).toEqual([
      90, 1800, 21600, 172800,
    ]);
    expect(parseDuration('0m')).toBeUndefined();
    expect(parseDuration('1w')).toBeUndefined();
  });

  it('turns every duration into seconds once, at parse time, defaults included', () => {
    const config = parseConfig({
      freshness: [{ collection: '*', maxAge: '6h' }],
      pipelines: [{ name: 'p', collection: 'c', requires: ['x'], window: '30m', cooldown: '90s' }],
      watchdog: { stuckAfter: '2d' },
    });
    expect(config.freshness[0]?.maxAge).toBe(21600);
    expect(config.pipelines[0]).toMatchObject({ window: 1800, cooldown: 90 });
    expect(config.watchdog).toEqual({ every: 300, stuckAfter: 172800 });
    expect(config.airweave.reconcile.every).toBe(900);
  });

  it('writes seconds back as the config does, in the largest whole unit', () => {
    expect([1800, 3600, 90, 86400 * 2, 5400].map(formatDuration)).toEqual(['30m', '1h', '90s', '2d', '90m']);
  });
});

describe('runtime settings (the functions parse their environment once, at cold start)', () => {
  const valid = {
    retentionDays: 400,
    freshness: [{ collection: '*', maxAge: 21600 }],
    alerts: [{ team: 'ops', match: {} }],
    watchdog: { every: 300, stuckAfter: 21600 },
    pipelines: [{ name: 'p', collection: 'c', requires: ['x'], window: 1800 }],
  };

  it('reads what the stack writes, seconds as numbers', () => {
    const config = parseConfig({ freshness: [{ collection: '*', maxAge: '6h' }] });
    const { freshness, watchdog } = parseRuntimeSettings(JSON.stringify(valid), 'SETTINGS');
    expect(freshness).toEqual(config.freshness);
    expect(watchdog.stuckAfter).toBe(21600);
  });

  it.each([
    ['not json', 'SETTINGS is not JSON'],
    [JSON.stringify({ ...valid, watchdog: { every: '5m', stuckAfter: 21600 } }), 'no valid watchdog.every'],
    [
      JSON.stringify({ ...valid, pipelines: [{ ...valid.pipelines[0], window: -1 }] }),
      'no valid pipelines[0].window',
    ],
    [JSON.stringify({ ...valid, retentionDays: undefined }), 'no valid retentionDays'],
  ])('refuses %s, naming the variable and the field', (text, message) => {
    expect(() => parseRuntimeSettings(text, 'SETTINGS')).toThrow(SettingError);
    expect(() => parseRuntimeSettings(text, 'SETTINGS')).toThrow(message);
  });
});

describe('payload errors', () => {
  it('name what was expected wherever the payload is parsed, also where the config module is never loaded (a Lambda function)', () => {
    // A fresh process that loads only what the webhook loads to classify a payload: zod keeps its
    // message settings process-wide, so this cannot be checked inside the test's own process.
    const script = `
      const { classifyPayload } = require('./lambda/core/events');
      const classified = classifyPayload(JSON.stringify({ event_type: 'sync.completed', sync_job_id: 42 }));
      process.stdout.write(classified.reason ?? '');`;
    const reason = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
    });
    expect(reason).toMatch(/sync_job_id: .*expected string, received number/i);
  });
});
