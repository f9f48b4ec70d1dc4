import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { sign } from '../lambda/core/signature';
import {
  NOW_SECONDS,
  OTHER_SECRET,
  SECRET,
  currentPayload,
  httpEvent,
  legacyPayload,
  signedRequest,
} from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { onTheWire } from '../harness/wire';
import { parseBody, wire } from '../harness/stack';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

async function fresh(options: Parameters<typeof wire>[2] = {}) {
  const table = await engine.newTable();
  return { table, ...wire(engine.client, table, options) };
}

describe('accepted deliveries', () => {
  it('records a current payload: audit event, job state and freshness', async () => {
    const { table, webhook } = await fresh();
    const running = currentPayload({ event_type: 'sync.running', timestamp: '2026-04-23T13:45:00.000001Z' });
    const completed = currentPayload();
    expect(parseBody(await webhook(signedRequest(running)))).toEqual({ result: 'processed' });
    const response = await webhook(signedRequest(completed, { id: 'msg_completed' }));
    expect(response.statusCode).toBe(200);
    expect(parseBody(response)).toEqual({ result: 'processed' });

    const items = await engine.scan(table);
    const events = items.filter((i) => i.entity === 'event');
    expect(events.map((e) => e.event_type).sort()).toEqual(['sync.completed', 'sync.running']);
    expect(events.find((e) => e.event_type === 'sync.completed')).toMatchObject({
      svix_id: 'msg_completed',
      sync_job_id: completed.sync_job_id,
      collection_readable_id: 'engineering-context-ab123',
      source_type: 'github',
      timestamp: '2026-04-23T13:50:01.482913Z',
      payload_format: 'current',
    });
    expect(items.find((i) => i.entity === 'job')).toMatchObject({
      state: 'completed',
      running_at: '2026-04-23T13:45:00.000001Z',
      completed_at: '2026-04-23T13:50:01.482913Z',
      source_connection_id: completed.source_connection_id,
    });
    expect(items.find((i) => i.entity === 'freshness')).toMatchObject({
      last_success_at: '2026-04-23T13:50:01.482913Z',
      last_success_job_id: completed.sync_job_id,
      latest_state: 'completed',
    });
  });

  it('normalizes the legacy payload: job_id is the sync job id, naive timestamps are UTC', async () => {
    const { table, webhook } = await fresh();
    const legacy = legacyPayload({
      event_type: 'sync.failed',
      status: 'failed',
      error: 'token expired',
      timestamp: '2026-04-23T13:40:00',
    });
    expect(parseBody(await webhook(signedRequest(legacy)))).toEqual({ result: 'processed' });
    const items = await engine.scan(table);
    expect(items.find((i) => i.entity === 'event')).toMatchObject({
      sync_job_id: legacy.job_id,
      timestamp: '2026-04-23T13:40:00.000000Z',
      payload_format: 'legacy',
      error: 'token expired',
      source_type: 'linear',
    });
    expect(items.find((i) => i.entity === 'job')).toMatchObject({ state: 'failed', error: 'token expired' });
    expect(items.find((i) => i.entity === 'freshness')).toMatchObject({
      last_error: 'token expired',
      last_terminal_state: 'failed',
    });
  });

  it('keys a legacy source without a connection id by its type', async () => {
    const { table, webhook } = await fresh();
    const legacy = legacyPayload({ source_connection_id: undefined });
    await webhook(signedRequest(legacy));
    const freshness = (await engine.scan(table)).find((i) => i.entity === 'freshness');
    expect(freshness).toMatchObject({
      source_key: 'type:linear',
      sk: 'SRC#type:linear',
      source_connection_id: null,
    });
  });

  it('reads a base64-encoded body as API Gateway may deliver it', async () => {
    const { table, webhook } = await fresh();
    const response = await webhook(signedRequest(currentPayload(), { base64: true }));
    expect(parseBody(response)).toEqual({ result: 'processed' });
    expect((await engine.scan(table)).filter((i) => i.entity === 'event')).toHaveLength(1);
  });

  it('accepts webhook-* headers and any header case', async () => {
    const { webhook } = await fresh();
    const body = JSON.stringify(currentPayload());
    const signature = `v1,${sign(Buffer.from('test-signing-secret-0123456789abcdef'), 'msg_1', NOW_SECONDS, body)}`;
    const response = await webhook(
      httpEvent(
        'POST',
        '/webhooks/airweave',
        { 'Webhook-Id': 'msg_1', 'WEBHOOK-TIMESTAMP': String(NOW_SECONDS), 'webhook-Signature': signature },
        body,
      ),
    );
    expect(parseBody(response)).toEqual({ result: 'processed' });
  });

  it('accepts any of several signatures and any of several secrets (rotation), skipping other versions', async () => {
    const { webhook } = await fresh({ secrets: [OTHER_SECRET, SECRET] });
    const good = signedRequest(currentPayload());
    const headers = good.headers as Record<string, string>;
    const valid = (headers['svix-signature'] as string).slice(3);
    headers['svix-signature'] = `v1a,${valid} v1,${Buffer.alloc(32).toString('base64')} v1,${valid}`;
    expect(parseBody(await webhook(good))).toEqual({ result: 'processed' });
  });

  it('answers HEAD (subscription check) with 200 and writes nothing', async () => {
    const { table, webhook } = await fresh();
    const response = await webhook(httpEvent('HEAD', '/webhooks/airweave', {}));
    expect(response.statusCode).toBe(200);
    expect(await engine.scan(table)).toEqual([]);
  });
});

describe('duplicates', () => {
  it('collapses a retried delivery (same svix-id) and a republished one (new svix-id)', async () => {
    const { table, webhook } = await fresh();
    const payload = currentPayload();
    expect(parseBody(await webhook(signedRequest(payload, { id: 'msg_a' })))).toEqual({
      result: 'processed',
    });
    expect(parseBody(await webhook(signedRequest(payload, { id: 'msg_a' })))).toEqual({
      result: 'duplicate',
    });
    expect(parseBody(await webhook(signedRequest(payload, { id: 'msg_b' })))).toEqual({
      result: 'duplicate',
    });
    const items = await engine.scan(table);
    expect(items.filter((i) => i.entity === 'event')).toHaveLength(1);
    expect(items.find((i) => i.entity === 'event')).toMatchObject({ svix_id: 'msg_a' });
  });

  it('never lets a late lower state overwrite a higher one', async () => {
    const { table, webhook } = await fresh();
    await webhook(
      signedRequest(
        currentPayload({ event_type: 'sync.completed', timestamp: '2026-04-23T13:50:00.000000Z' }),
      ),
    );
    await webhook(
      signedRequest(currentPayload({ event_type: 'sync.running', timestamp: '2026-04-23T13:45:00.000000Z' })),
    );
    await webhook(
      signedRequest(currentPayload({ event_type: 'sync.pending', timestamp: '2026-04-23T13:44:00.000000Z' })),
    );
    const items = await engine.scan(table);
    expect(items.find((i) => i.entity === 'job')).toMatchObject({
      state: 'completed',
      pending_at: '2026-04-23T13:44:00.000000Z',
      running_at: '2026-04-23T13:45:00.000000Z',
      completed_at: '2026-04-23T13:50:00.000000Z',
      updated_at: '2026-04-23T13:50:00.000000Z',
    });
    expect(items.find((i) => i.entity === 'freshness')).toMatchObject({
      latest_state: 'completed',
      last_success_at: '2026-04-23T13:50:00.000000Z',
    });
  });

  it('keeps the first terminal state of a job final', async () => {
    const { table, webhook } = await fresh();
    await webhook(
      signedRequest(
        currentPayload({
          event_type: 'sync.failed',
          timestamp: '2026-04-23T13:50:00.000000Z',
          error: 'boom',
        }),
      ),
    );
    await webhook(
      signedRequest(
        currentPayload({ event_type: 'sync.completed', timestamp: '2026-04-23T13:51:00.000000Z' }),
      ),
    );
    expect((await engine.scan(table)).find((i) => i.entity === 'job')).toMatchObject({
      state: 'failed',
      error: 'boom',
    });
  });
});

describe('rejected deliveries write nothing', () => {
  const body = currentPayload();
  const cases: Array<[string, () => ReturnType<typeof signedRequest>, RegExp]> = [
    [
      'no signature headers',
      () => httpEvent('POST', '/webhooks/airweave', {}, JSON.stringify(body)),
      /missing/,
    ],
    ['no svix-id', () => signedRequest(body, { headers: { 'svix-id': undefined } }), /missing/],
    ['no svix-signature', () => signedRequest(body, { headers: { 'svix-signature': undefined } }), /missing/],
    ['a wrong secret', () => signedRequest(body, { secret: OTHER_SECRET }), /no signature matches/],
    [
      'a tampered body',
      () => ({ ...signedRequest(body), body: JSON.stringify({ ...body, source_type: 'slack' }) }),
      /no signature matches/,
    ],
    [
      'a swapped svix-id',
      () => signedRequest(body, { headers: { 'svix-id': 'msg_other' } }),
      /no signature matches/,
    ],
    ['a timestamp 6 minutes old', () => signedRequest(body, { timestamp: NOW_SECONDS - 360 }), /too old/],
    ['a timestamp 6 minutes ahead', () => signedRequest(body, { timestamp: NOW_SECONDS + 360 }), /future/],
    [
      'a non-numeric timestamp',
      () => signedRequest(body, { headers: { 'svix-timestamp': 'yesterday' } }),
      /not a number/,
    ],
    [
      'only a v1a signature',
      () => {
        const request = signedRequest(body);
        const headers = request.headers as Record<string, string>;
        headers['svix-signature'] = (headers['svix-signature'] as string).replace('v1,', 'v1a,');
        return request;
      },
      /no v1 signature/,
    ],
    [
      'a garbage signature',
      () => signedRequest(body, { headers: { 'svix-signature': 'v1,not-base64!!' } }),
      /no signature matches/,
    ],
  ];

  it.each(cases)('401 for %s', async (_name, request, reason) => {
    const { table, webhook } = await fresh();
    const response = await webhook(request());
    expect(response.statusCode).toBe(401);
    expect(String(parseBody(response).error)).toMatch(reason);
    expect(await engine.scan(table)).toEqual([]);
  });

  it('accepts timestamps just inside the five-minute window both ways', async () => {
    const { webhook } = await fresh();
    expect((await webhook(signedRequest(body, { timestamp: NOW_SECONDS - 299 }))).statusCode).toBe(200);
    expect((await webhook(signedRequest(body, { timestamp: NOW_SECONDS + 299 }))).statusCode).toBe(200);
  });

  it('413 for a body over 256 KiB, before anything is written', async () => {
    const { table, webhook } = await fresh();
    const huge = currentPayload({ error: 'x'.repeat(256 * 1024) });
    const response = await webhook(signedRequest(huge));
    expect(response.statusCode).toBe(413);
    expect(await engine.scan(table)).toEqual([]);
  });

  it('405 for other methods', async () => {
    const { webhook } = await fresh();
    expect((await webhook(signedRequest(currentPayload(), { method: 'PUT' }))).statusCode).toBe(405);
  });
});

describe('ignored and quarantined deliveries', () => {
  it('answers other Airweave events 200 ignored and counts them once', async () => {
    const { table, webhook } = await fresh();
    const event = { event_type: 'entity.batch_processed', collection_readable_id: 'x' };
    expect(parseBody(await webhook(signedRequest(event, { id: 'msg_i' })))).toEqual({ result: 'ignored' });
    expect(parseBody(await webhook(signedRequest(event, { id: 'msg_i' })))).toEqual({ result: 'ignored' });
    const items = await engine.scan(table);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      entity: 'ignored',
      event_type: 'entity.batch_processed',
      svix_id: 'msg_i',
    });
  });

  it.each([
    ['not JSON', '{"event_type": "sync.completed", ', /not JSON/],
    ['a JSON array', '[1,2,3]', /not a JSON object/],
    ['no event_type', '{"sync_job_id": "j"}', /event_type is missing/],
    ['a bad timestamp', JSON.stringify(currentPayload({ timestamp: 'last tuesday' })), /timestamp/],
    ['no job id', JSON.stringify({ ...currentPayload(), sync_job_id: undefined }), /sync_job_id/],
    ['a wrong type', JSON.stringify({ ...currentPayload(), entities_inserted: 'many' }), /entities_inserted/],
  ])('keeps a signed delivery with %s raw, answers 202 quarantined', async (_name, raw, reason) => {
    const { table, webhook } = await fresh();
    const response = await webhook(signedRequest(raw, { id: 'msg_q' }));
    expect(response.statusCode).toBe(202);
    expect(parseBody(response)).toEqual({ result: 'quarantined' });
    const items = await engine.scan(table);
    expect(items).toHaveLength(1);
    const [item] = items as [Record<string, unknown>];
    expect(item).toMatchObject({ entity: 'quarantine', svix_id: 'msg_q', gsi1pk: 'QUARANTINE' });
    expect(String(item.reason)).toMatch(reason);
    expect(Buffer.from(item.body as Uint8Array).toString('utf8')).toBe(raw);
    expect(Object.keys(item.headers as object).sort()).toEqual([
      'svix-id',
      'svix-signature',
      'svix-timestamp',
    ]);
  });
});

describe('failures worth retrying', () => {
  /** A client on the real engine whose calls fail, on the wire, while `shouldFail` says so. */
  function flakyClient(shouldFail: (operation: string) => boolean): DynamoDBClient {
    const client = new DynamoDBClient({
      endpoint: engine.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    return onTheWire(client, ({ operation }) => {
      if (shouldFail(operation))
        throw Object.assign(new Error('injected outage'), { name: 'ServiceUnavailable' });
    });
  }

  it.each(['UpdateItem', 'PutItem'])(
    'a failing %s answers 503 with nothing internal, and the retry records everything exactly once',
    async (failing) => {
      const table = await engine.newTable();
      let outage = true;
      const { webhook } = wire(
        flakyClient((command) => outage && command === failing),
        table,
      );
      const request = signedRequest(currentPayload(), { id: 'msg_retry' });

      const first = await webhook(request);
      expect(first.statusCode).toBe(503);
      expect(first.body).not.toMatch(/injected|outage|Dynamo/);

      outage = false;
      const retry = await webhook(signedRequest(currentPayload(), { id: 'msg_retry' }));
      expect(retry.statusCode).toBe(200);
      // The audit put may have landed before the outage hit the other writes; either way, one of each.
      expect(['processed', 'duplicate']).toContain(parseBody(retry).result);
      const items = await engine.scan(table);
      expect(items.filter((i) => i.entity === 'event')).toHaveLength(1);
      expect(items.find((i) => i.entity === 'job')).toMatchObject({ state: 'completed' });
      expect(items.find((i) => i.entity === 'freshness')).toMatchObject({
        last_success_at: '2026-04-23T13:50:01.482913Z',
      });
    },
  );
});
