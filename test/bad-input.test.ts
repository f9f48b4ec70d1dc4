import fc from 'fast-check';
import { signedHeaders } from '../lambda/core/signature';
import { currentPayload, httpEvent, NOW_SECONDS, OTHER_SECRET, SECRET } from './helpers/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { wire } from './helpers/stack';

/**
 * Generated hostile and broken requests: none may be accepted without a valid signature, none may make
 * the handler fail (5xx tells Svix to retry something that will never work), none may write anything.
 */
let engine: Engine;
let table: string;
let webhook: ReturnType<typeof wire>['webhook'];
let tried = 0;

beforeAll(async () => {
  engine = await startEngine();
  table = await engine.newTable();
  ({ webhook } = wire(engine.client, table));
});
afterAll(async () => {
  console.log(`bad-input suite: ${tried} generated requests tried`);
  await engine.stop();
});

const deepJson = fc.integer({ min: 1, max: 2000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`);
const body = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.string({ unit: 'binary', maxLength: 512 }),
  fc.json({ maxDepth: 6 }),
  deepJson,
  fc
    .constant(JSON.stringify(currentPayload()))
    .chain((json) => fc.nat(json.length).map((n) => json.slice(0, n))),
  fc
    .record({
      event_type: fc.oneof(fc.constant('sync.completed'), fc.string()),
      sync_job_id: fc.anything(),
      timestamp: fc.anything(),
    })
    .map((o) => JSON.stringify(o)),
  fc.string({ minLength: 10_000, maxLength: 40_000 }),
);
const timestamp = fc.oneof(
  fc.constant(String(NOW_SECONDS)),
  fc.integer({ min: 301, max: 10_000_000 }).map((d) => String(NOW_SECONDS - d)),
  fc.integer({ min: 301, max: 10_000_000 }).map((d) => String(NOW_SECONDS + d)),
  fc.string({ maxLength: 20 }),
  fc.constant('1e10'),
  fc.constant('-5'),
);
const signature = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.base64String({ maxLength: 60 }).map((s) => `v1,${s}`),
  fc
    .array(
      fc.base64String({ minLength: 44, maxLength: 44 }).map((s) => `v1,${s}`),
      { maxLength: 5 },
    )
    .map((a) => a.join(' ')),
  fc.constant('v1a,AAAA v2,BBBB'),
);
const casing = fc.constantFrom(
  (h: string) => h,
  (h: string) => h.toUpperCase(),
  (h: string) => h.replace(/^./, (c) => c.toUpperCase()),
);
const prefix = fc.constantFrom('svix', 'webhook');

/** A request that is not correctly signed: random parts, or a real signature with something wrong. */
const unsigned = fc.oneof(
  fc
    .record({ body, id: fc.string({ maxLength: 300 }), timestamp, signature, casing, prefix })
    .map(({ body, id, timestamp, signature, casing, prefix }) => ({
      body,
      headers: {
        [casing(`${prefix}-id`)]: id,
        [casing(`${prefix}-timestamp`)]: timestamp,
        [casing(`${prefix}-signature`)]: signature,
      },
    })),
  // Correctly formed but signed with another secret, or stale, or for another body.
  fc
    .record({
      body,
      drift: fc.integer({ min: 301, max: 100_000 }),
      sign: fc.constantFrom('wrong-secret', 'stale', 'future', 'other-body'),
    })
    .map(({ body, drift, sign }) => {
      const ts =
        sign === 'stale' ? NOW_SECONDS - drift : sign === 'future' ? NOW_SECONDS + drift : NOW_SECONDS;
      const headers = signedHeaders(
        sign === 'wrong-secret' ? OTHER_SECRET : SECRET,
        'msg_x',
        ts,
        sign === 'other-body' ? `${body} ` : body,
      );
      return { body, headers };
    }),
  // Duplicated and missing headers.
  fc.record({
    body,
    headers: fc.dictionary(
      fc.constantFrom('svix-id', 'svix-timestamp', 'content-type', 'x-other'),
      fc.string({ maxLength: 40 }),
    ),
  }),
);

describe('bad input', () => {
  it('is never accepted, never answered 5xx, and never writes', async () => {
    await fc.assert(
      fc.asyncProperty(unsigned, fc.boolean(), async ({ body, headers }, base64) => {
        tried++;
        const response = await webhook(httpEvent('POST', '/webhooks/airweave', headers, body, base64));
        const status = response.statusCode ?? 0;
        expect(status).toBeGreaterThanOrEqual(400);
        expect(status).toBeLessThan(500);
        expect(JSON.parse(response.body ?? '{}')).toHaveProperty('error');
      }),
      { numRuns: 1500 },
    );
    expect(await engine.scan(table)).toEqual([]);
  });

  it('signed but broken bodies are quarantined or ignored, never 5xx, and each is kept', async () => {
    const signedTable = await engine.newTable();
    const { webhook: signedWebhook } = wire(engine.client, signedTable);
    let count = 0;
    const recorded = new Set<string>();
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        tried++;
        const id = `msg_signed_${count++}`;
        const headers = signedHeaders(SECRET, id, NOW_SECONDS, text);
        const response = await signedWebhook(httpEvent('POST', '/webhooks/airweave', headers, text));
        const expected = Buffer.byteLength(text) > 256 * 1024 ? [413] : [200, 202];
        expect(expected).toContain(response.statusCode);
        // A duplicate (the same lifecycle transition again) adds no record of its own; anything else does.
        if (JSON.parse(response.body ?? '{}').result !== 'duplicate') recorded.add(id);
      }),
      { numRuns: 400 },
    );
    const items = await engine.scan(signedTable);
    // Every accepted delivery left exactly one record: quarantined, ignored, or a lifecycle event's.
    const deliveries = items
      .filter((i) => i.entity !== 'job' && i.entity !== 'freshness')
      .map((i) => String(i.svix_id));
    expect(deliveries.sort()).toEqual([...recorded].sort());
    expect(count).toBe(400);
  });
});
