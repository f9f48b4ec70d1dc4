import {
  alertMessage,
  attributeValue,
  eventMessage,
  NO_VALUE,
  SNS_LIMITS,
  snsSubject,
} from '../lambda/core/outbound';
import { failureAlert } from '../lambda/core/alerts';
import { classifyPayload, type SyncEvent } from '../lambda/core/events';
import { currentPayload, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { wire } from '../harness/stack';

/** SNS's Publish rules, checked the way the service would (the stand-in in bench/fake-aws.ts does the same). */
// eslint-disable-next-line no-control-regex
const SUBJECT_REFUSED = /[\u0000-\u001f\u007f-\u009f]/;
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

function failed(error: string, overrides: Parameters<typeof currentPayload>[0] = {}): SyncEvent {
  const classified = classifyPayload(
    JSON.stringify(currentPayload({ event_type: 'sync.failed', error, ...overrides })),
  );
  if (classified.kind !== 'lifecycle') throw new Error(JSON.stringify(classified));
  return classified.event;
}

describe('SNS subject', () => {
  it.each([
    ['ANSI colour codes', '\u001b[31mERROR\u001b[0m token expired\u0007', 'ERROR token expired'],
    ['line breaks and tabs', 'first line\r\nsecond\tline', 'first line second line'],
    ['only control characters', '\u0000\u001b\u0085', 'Airweave sync notification'],
    ['empty', '', 'Airweave sync notification'],
    ['a lone surrogate', 'bad \ud800 half', 'bad \ufffd half'],
  ])('%s', (_, input, expected) => {
    expect(snsSubject(input)).toBe(expected);
  });

  it('is at most 99 characters, cut with an ellipsis, never splitting a surrogate pair', () => {
    const long = snsSubject(`Sync failed: ${'x'.repeat(84)}😀😀😀`);
    expect(long.length).toBeLessThanOrEqual(SNS_LIMITS.subjectMaxChars);
    expect(long.endsWith('...')).toBe(true);
    expect(long).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
    expect(snsSubject('a'.repeat(99))).toBe('a'.repeat(99));
    expect(snsSubject('a'.repeat(100))).toHaveLength(99);
  });
});

describe('message attributes', () => {
  it('are never empty and hold only characters SNS accepts', () => {
    expect(attributeValue('')).toBe(NO_VALUE);
    expect(attributeValue(null)).toBe(NO_VALUE);
    expect(attributeValue('  ')).toBe(NO_VALUE);
    expect(attributeValue('a\u0000b\ufffe')).toBe('a\ufffdb\ufffd');
    expect(attributeValue('€'.repeat(300))).toHaveLength(SNS_LIMITS.attributeValueMaxChars);
  });
});

describe('alert messages', () => {
  it('a sync.failed with colour codes and a 200 KB error: valid subject, body under 256 KB with attributes, error cut in the alert', () => {
    const error = `\u001b[31m${'stack frame\n'.repeat(17_000)}\u001b[0m`;
    const event = failed(error);
    const freshness = { last_error: error } as unknown as Parameters<typeof failureAlert>[1];
    const built = alertMessage(failureAlert(event, freshness));
    expect(built.subject).not.toMatch(SUBJECT_REFUSED);
    expect(built.subject!.length).toBeLessThanOrEqual(99);
    const attributeBytes = Object.entries(built.attributes).reduce(
      (sum, [name, value]) => sum + bytes(name) + bytes('String') + bytes(value),
      0,
    );
    expect(bytes(built.message) + attributeBytes).toBeLessThanOrEqual(SNS_LIMITS.messageMaxBytes);
    const body = JSON.parse(built.message);
    expect(body.event.error).toMatch(
      /\.\.\. \[truncated from \d+ bytes; the whole text is in the audit record\]$/,
    );
    // Cut only as much as needed: the body is close to the limit, not a stub.
    expect(bytes(built.message)).toBeGreaterThan(SNS_LIMITS.messageMaxBytes * 0.9);
    expect(built.attributes.alert_id).toBe(body.alert_id);
  });

  it("alert_id is the same for every attempt at one job's alert and differs between jobs", () => {
    const a = failureAlert(failed('boom'), null);
    const again = failureAlert(failed('boom, said differently'), null);
    const other = failureAlert(failed('boom', { sync_job_id: 'another-job' }), null);
    expect(a.alert_id).toBe(again.alert_id);
    expect(a.alert_id).not.toBe(other.alert_id);
    expect(a.alert_id).toMatch(/^sync\.failed:[0-9a-f]{32}$/);
  });

  it('an event message stays under the limit whatever its error holds', () => {
    const built = eventMessage(failed('é'.repeat(140_000)));
    expect(bytes(built.message)).toBeLessThanOrEqual(SNS_LIMITS.messageMaxBytes);
    expect(String(JSON.parse(built.message).error).slice(-80)).toMatch(/truncated from 280000 bytes/);
  });
});

describe('the audit keeps the whole error', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine();
  });
  afterAll(() => engine.stop());

  it('a 200 KB error is recorded whole and alerted cut', async () => {
    const table = await engine.newTable();
    const { webhook, notifier } = wire(engine.client, table);
    const error = 'x'.repeat(200_000);
    const response = await webhook(signedRequest(currentPayload({ event_type: 'sync.failed', error })));
    expect(response.statusCode).toBe(200);
    const items = await engine.scan(table);
    expect(items.find((i) => i.entity === 'event')?.error).toBe(error);
    expect(items.find((i) => i.entity === 'freshness')?.last_error).toBe(error);
    const [sent] = notifier.alertsOf('sync.failed');
    expect(bytes(alertMessage(sent!.alert).message)).toBeLessThanOrEqual(SNS_LIMITS.messageMaxBytes);
  });
});
