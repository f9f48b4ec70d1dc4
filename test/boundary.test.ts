import {
  deliveryKeyId,
  KEY_LIMIT_BYTES,
  keyProblem,
  LIFECYCLE_KEY_SHAPES,
  MAX_DELIVERY_ID_BYTES,
} from '../lambda/core/boundary';
import { classifyPayload, type SyncEvent } from '../lambda/core/events';
import { lifecycleKeys } from '../lambda/core/table-schema';
import { currentPayload, httpEvent, legacyPayload, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { parseBody, wire } from '../harness/stack';

/**
 * The boundary: a signed lifecycle event that could not be recorded whole (an impossible or out-of-range
 * time, a key over DynamoDB's byte limits) is quarantined with a reason naming the field and the limit,
 * and nothing but the quarantine item is written. The local engine counts key sizes in characters, so the
 * assertions here are on UTF-8 bytes, with multi-byte ids that the engine alone would accept.
 */
let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

async function fresh(options: Parameters<typeof wire>[2] = {}) {
  const table = await engine.newTable();
  return { table, ...wire(engine.client, table, options) };
}

const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'];
const keyBytes = (item: Record<string, unknown>) =>
  Math.max(...KEY_ATTRIBUTES.map((k) => Buffer.byteLength(String(item[k] ?? ''))));

function eventOf(overrides: Parameters<typeof currentPayload>[0]): SyncEvent {
  const classified = classifyPayload(JSON.stringify(currentPayload(overrides)));
  if (classified.kind !== 'lifecycle')
    throw new Error(`not a lifecycle event: ${JSON.stringify(classified)}`);
  return classified.event;
}

/** The longest run of `unit` a field can take before the boundary refuses it, found by search. */
function longestAccepted(
  field: 'collection_readable_id' | 'source_connection_id' | 'sync_job_id',
  unit: string,
) {
  let n = 1;
  while (keyProblem(eventOf({ [field]: unit.repeat(n + 1) })) === undefined) n++;
  return n;
}

describe('key limits derived from the key templates', () => {
  it('lists exactly the keys the store writes for an event, so the limits cannot drift from the templates', async () => {
    const { table, webhook } = await fresh();
    const payload = currentPayload({ event_type: 'sync.running' });
    await webhook(signedRequest(payload));
    const items = await engine.scan(table);
    const event = eventOf({ event_type: 'sync.running' });
    const expected = lifecycleKeys({
      collection: event.collection_readable_id,
      source: event.source_key,
      timestamp: event.timestamp,
      jobId: event.sync_job_id,
      eventType: event.event_type,
    });
    for (const [entity, keys] of Object.entries(expected)) {
      const item = items.find((i) => i.entity === entity) as Record<string, unknown>;
      const written = Object.fromEntries(KEY_ATTRIBUTES.filter((k) => k in item).map((k) => [k, item[k]]));
      expect(written).toEqual(keys);
    }
    // Every table and index key attribute has a shape with DynamoDB's limit for its kind.
    expect(new Set(LIFECYCLE_KEY_SHAPES.map((s) => s.attribute))).toEqual(new Set(KEY_ATTRIBUTES));
    for (const shape of LIFECYCLE_KEY_SHAPES)
      expect(shape.limit).toBe(shape.attribute.endsWith('pk') ? 2048 : 1024);
  });

  it.each([
    ['source_connection_id', 'a', 1],
    ['source_connection_id', '€', 3],
    ['collection_readable_id', '€', 3],
    ['sync_job_id', '𝄞', 4],
  ] as const)(
    '%s of "%s" (%i bytes each): the longest accepted keeps every key within its limit',
    (field, unit, size) => {
      const n = longestAccepted(field, unit);
      const fits = eventOf({ [field]: unit.repeat(n) });
      const parts = {
        collection: fits.collection_readable_id,
        source: fits.source_key,
        timestamp: fits.timestamp,
        jobId: fits.sync_job_id,
        eventType: fits.event_type,
      };
      const sizes = Object.values(lifecycleKeys(parts)).flatMap((keys) =>
        Object.entries(keys).map(([attribute, value]) => ({ attribute, bytes: Buffer.byteLength(value) })),
      );
      for (const { attribute, bytes } of sizes)
        expect(bytes).toBeLessThanOrEqual(
          attribute.endsWith('pk') ? KEY_LIMIT_BYTES.partition : KEY_LIMIT_BYTES.sort,
        );
      // One more unit crosses a limit, and the reason names the field, its size in bytes and the limit.
      const reason = keyProblem(eventOf({ [field]: unit.repeat(n + 1) }));
      expect(reason).toContain(`${field} is ${(n + 1) * size} bytes`);
      expect(reason).toMatch(/over DynamoDB's (1024|2048)-byte (sort|partition) key limit/);
    },
  );

  it('a 1,024-character source_connection_id is quarantined (202), not a 503 loop; only the quarantine item is written', async () => {
    const { table, webhook } = await fresh();
    const payload = currentPayload({ source_connection_id: 'a'.repeat(1024) });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++)
      statuses.push((await webhook(signedRequest(payload, { id: 'msg_long_source' }))).statusCode ?? 0);
    expect(statuses).toEqual([202, 202, 202]);
    const items = await engine.scan(table);
    expect(items.map((i) => i.entity)).toEqual(['quarantine']);
    expect(items[0]?.reason).toMatch(/^source_connection_id is 1024 bytes .* 1024-byte sort key limit/);
  });

  it('a collection of 340 "€" (340 characters, 1,020 bytes) is refused by bytes, which the local engine alone would accept', async () => {
    const collection = '€'.repeat(340);
    expect(collection.length).toBeLessThan(1024);
    expect(Buffer.byteLength(collection)).toBeGreaterThan(1000);
    const { table, webhook } = await fresh();
    const response = await webhook(signedRequest(currentPayload({ collection_readable_id: collection })));
    expect(response.statusCode).toBe(202);
    const items = await engine.scan(table);
    expect(items.map((i) => i.entity)).toEqual(['quarantine']);
    expect(items[0]?.reason).toContain('collection_readable_id is 1020 bytes');
    // The same collection with a short enough source fits, and is then recorded with every key in limits.
    const { table: other, webhook: accepting } = await fresh();
    const fits = '€'.repeat(320);
    expect(
      parseBody(
        await accepting(
          signedRequest(currentPayload({ collection_readable_id: fits, source_connection_id: 's' })),
        ),
      ),
    ).toEqual({ result: 'processed' });
    const written = await engine.scan(other);
    expect(written).toHaveLength(3);
    for (const item of written) expect(keyBytes(item)).toBeLessThanOrEqual(1024);
  });

  it('names the legacy field (job_id) and the source type for a legacy source without connection id', () => {
    const legacy = classifyPayload(
      JSON.stringify(legacyPayload({ job_id: 'é'.repeat(500), source_connection_id: undefined })),
    );
    if (legacy.kind !== 'lifecycle') throw new Error('expected a lifecycle event');
    expect(keyProblem(legacy.event)).toMatch(/^job_id is 1000 bytes/);
    const typed = classifyPayload(
      JSON.stringify(legacyPayload({ source_type: 'é'.repeat(600), source_connection_id: undefined })),
    );
    if (typed.kind !== 'lifecycle') throw new Error('expected a lifecycle event');
    expect(keyProblem(typed.event)).toMatch(/^source_type is \d+ bytes/);
  });

  it('quarantines a signed delivery whose svix-id cannot key its records (202), in bytes, keeping the whole id', async () => {
    const { table, webhook } = await fresh();
    const long = '€'.repeat(Math.floor(MAX_DELIVERY_ID_BYTES / 3) + 1);
    const response = await webhook(signedRequest(currentPayload(), { id: long }));
    expect(response.statusCode).toBe(202);
    expect(parseBody(response)).toEqual({ result: 'quarantined' });
    // Its retry is the same outcome, not a second record.
    expect((await webhook(signedRequest(currentPayload(), { id: long }))).statusCode).toBe(202);
    // Unsigned, the same id is refused like any forgery.
    const forged = signedRequest(currentPayload(), {
      id: long,
      secret: `whsec_${Buffer.from('x'.repeat(32)).toString('base64')}`,
    });
    expect((await webhook(forged)).statusCode).toBe(401);
    const fitting = 'm'.repeat(MAX_DELIVERY_ID_BYTES);
    expect((await webhook(signedRequest('{"event_type":"search.done"}', { id: fitting }))).statusCode).toBe(
      200,
    );
    const items = await engine.scan(table);
    expect(items.map((i) => i.entity).sort()).toEqual(['ignored', 'quarantine']);
    for (const item of items) expect(keyBytes(item)).toBeLessThanOrEqual(1024);
    const kept = items.find((i) => i.entity === 'quarantine') as Record<string, unknown>;
    expect(kept.svix_id).toBe(long);
    expect(kept.reason).toBe(
      `svix-id is ${Buffer.byteLength(long)} bytes, over the limit of ${MAX_DELIVERY_ID_BYTES} bytes of the table's delivery keys`,
    );
    expect(kept.pk).toBe(`DELIVERY#${deliveryKeyId(long)}`);
    expect(deliveryKeyId(long)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('event times', () => {
  it('a completion dated 9999-12-31 is quarantined and cannot hide a later real failure', async () => {
    const { table, webhook, query } = await fresh();
    const poisoned = await webhook(signedRequest(currentPayload({ timestamp: '9999-12-31T23:59:59Z' })));
    expect(poisoned.statusCode).toBe(202);
    const [quarantined] = await engine.scan(table);
    expect(quarantined?.reason).toMatch(
      /^timestamp 9999-12-31T23:59:59.000000Z is later than the delivery's svix-timestamp .* 300 s signature tolerance$/,
    );
    const failed = currentPayload({
      event_type: 'sync.failed',
      sync_job_id: 'job-real-failure',
      timestamp: '2026-04-23T13:54:00Z',
      error: 'token expired',
    });
    expect((await webhook(signedRequest(failed))).statusCode).toBe(200);
    const view = parseBody(await query(httpEvent('GET', '/freshness/engineering-context-ab123', {})));
    expect(view.sources).toEqual([
      expect.objectContaining({ status: 'failed', consecutive_failures: 1, last_error: 'token expired' }),
    ]);
  });

  it('accepts an event up to the signature tolerance after its svix-timestamp, and refuses one second more', async () => {
    const { webhook } = await fresh();
    // NOW is 13:55:00; the tolerance is 300 s.
    const at = (timestamp: string, id: string) =>
      webhook(signedRequest(currentPayload({ timestamp, sync_job_id: id }), { id }));
    expect((await at('2026-04-23T14:00:00Z', 'edge')).statusCode).toBe(200);
    expect((await at('2026-04-23T14:00:00.000001Z', 'over')).statusCode).toBe(202);
  });

  it.each([
    ['2026-02-30T10:00:00Z', /^timestamp: expected an RFC 3339 calendar time/],
    ['0000-01-01T00:00:00Z', /^timestamp: expected an RFC 3339 calendar time/],
    ['2026-04-23T13:50:01', /^timestamp: expected an RFC 3339 calendar time with a zone/],
    ['2026-03-01T00:00:00Z', /^timestamp 2026-03-01T00:00:00.000000Z is older than the 30-day retention/],
  ])('quarantines %s, naming the field, with nothing else written', async (timestamp, reason) => {
    const { table, webhook } = await fresh({ retentionDays: 30 });
    const response = await webhook(signedRequest(currentPayload({ timestamp })));
    expect(parseBody(response)).toEqual({ result: 'quarantined' });
    const items = await engine.scan(table);
    expect(items.map((i) => i.entity)).toEqual(['quarantine']);
    expect(String(items[0]?.reason).replace(/^invalid sync.completed payload: /, '')).toMatch(reason);
  });
});
