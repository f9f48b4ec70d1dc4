import type { FreshnessRule } from '../lambda/core/config';
import type { CollectionFreshnessAt, SourceFreshnessAt } from '../lambda/core/freshness-at';
import { currentPayload, httpEvent, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { reconcileWiring } from '../harness/reconcile-wiring';
import { parseBody } from '../harness/stack';

let engine: Engine;
beforeAll(async () => {
  engine = await startEngine();
});
afterAll(() => engine.stop());

const rules: FreshnessRule[] = [{ collection: '*', sourceType: 'github', maxAge: 2 * 3600 }];
const COLLECTION = 'engineering-context-ab123';
const at = (time: string) => `2026-04-23T${time}.000000Z`;

/**
 * A stack whose clock is moved to each delivery's receipt time (the audit's `received_at`), so late
 * deliveries are real: github's job g2 failed at 13:00, but Svix delivered that only at 13:30.
 */
async function scenario() {
  const table = await engine.newTable();
  let clock = new Date(at('12:00:00'));
  // With the source registry, as deployed: source lifecycle events list and retire sources.
  const { webhook, query } = reconcileWiring(engine.client, table, { rules, now: () => clock });
  let n = 0;
  const send = async (received: string, overrides: Parameters<typeof currentPayload>[0]) => {
    clock = new Date(at(received));
    const response = await webhook(
      signedRequest(currentPayload(overrides), {
        id: `msg_${++n}`,
        timestamp: Math.floor(clock.getTime() / 1000),
      }),
    );
    expect(response.statusCode).toBe(200);
  };
  const github = { source_type: 'github', source_connection_id: 'conn-github' };
  const linear = { source_type: 'linear', source_connection_id: 'conn-linear' };
  await send('12:00:05', {
    ...github,
    sync_job_id: 'g1',
    event_type: 'sync.completed',
    timestamp: at('12:00:00'),
  });
  await send('12:50:01', {
    ...github,
    sync_job_id: 'g2',
    event_type: 'sync.running',
    timestamp: at('12:50:00'),
  });
  await send('13:05:00', {
    ...linear,
    sync_job_id: 'l1',
    event_type: 'sync.completed',
    timestamp: at('13:05:00'),
  });
  // Delivered 30 minutes late (msg_4).
  await send('13:30:00', {
    ...github,
    sync_job_id: 'g2',
    event_type: 'sync.failed',
    timestamp: at('13:00:00'),
    error: 'token expired',
  });
  await send('13:40:00', {
    ...github,
    sync_job_id: 'g3',
    event_type: 'sync.completed',
    timestamp: at('13:40:00'),
  });
  clock = new Date(at('13:55:00'));
  const ask = async (path: string, time: string | undefined, extra: Record<string, string> = {}) => {
    const event = httpEvent('GET', path, {});
    const parameters = { ...(time === undefined ? {} : { at: time }), ...extra };
    const response = await query({
      ...event,
      rawQueryString: new URLSearchParams(parameters).toString(),
      queryStringParameters: Object.keys(parameters).length > 0 ? parameters : undefined,
    });
    return { status: response.statusCode, body: parseBody(response) };
  };
  const sourceAt = async (time: string, type: string) => {
    const { status, body } = await ask(`/freshness/${COLLECTION}`, time);
    expect(status).toBe(200);
    return (body as unknown as CollectionFreshnessAt).sources.find(
      (s) => s.source_type === type,
    ) as SourceFreshnessAt;
  };
  /** A signed source lifecycle event (source_connection.created / .deleted), received at its own time. */
  const lifecycle = async (type: string, time: string, source: Record<string, string>) => {
    clock = new Date(at(time));
    const body = {
      event_type: type,
      timestamp: at(time),
      organization_id: 'org',
      collection_readable_id: COLLECTION,
      ...source,
    };
    const response = await webhook(
      signedRequest(body, { id: `msg_${++n}`, timestamp: Math.floor(clock.getTime() / 1000) }),
    );
    expect(response.statusCode).toBe(200);
    clock = new Date(at('13:55:00'));
  };
  return { ask, sourceAt, lifecycle, setClock: (time: Date) => (clock = time) };
}

describe('GET /freshness/{collection}?at=T', () => {
  it('what was true and what the stack had been told differ under late delivery: both are given', async () => {
    const { sourceAt } = await scenario();
    const github = await sourceAt('2026-04-23T13:10:00Z', 'github');
    expect(github).toMatchObject({
      status: 'failed',
      last_failure_at: at('13:00:00'),
      last_error: 'token expired',
      last_success_at: at('12:00:00'),
      age_seconds: 70 * 60,
      max_age_seconds: 7200,
      known_at_t: false,
      // At 13:10 the stack had only g2's sync.running: it said syncing.
      as_known_at_t: { status: 'syncing', last_failure_at: null, running_since: at('12:50:00') },
      deciding_event: {
        sync_job_id: 'g2',
        event_type: 'sync.failed',
        svix_id: 'msg_4',
        timestamp: at('13:00:00'),
        received_at: at('13:30:00'),
        known_at_t: false,
      },
    });
    expect(github.evidence.map((e) => [e.sync_job_id, e.event_type, e.svix_id, e.roles])).toEqual([
      [
        'g2',
        'sync.failed',
        'msg_4',
        ['latest_state', 'last_terminal', 'last_failure', 'failure_since_success'],
      ],
      ['g2', 'sync.running', 'msg_2', ['running']],
      ['g1', 'sync.completed', 'msg_1', ['last_success']],
    ]);
  });

  it('once the late event arrived, the two agree and the answer is known at T', async () => {
    const { sourceAt } = await scenario();
    const github = await sourceAt('2026-04-23T13:35:00Z', 'github');
    expect(github).toMatchObject({ status: 'failed', known_at_t: true, consecutive_failures: 1 });
    expect(github).not.toHaveProperty('as_known_at_t');
    const later = await sourceAt('2026-04-23T14:50:00+01:00', 'github');
    expect(later).toMatchObject({
      status: 'fresh',
      last_success_at: at('13:40:00'),
      consecutive_failures: 0,
      deciding_event: { sync_job_id: 'g3', event_type: 'sync.completed', svix_id: 'msg_5' },
    });
  });

  it('a source whose first event comes after T is unknown, with the reason', async () => {
    const { sourceAt, ask } = await scenario();
    const linear = await sourceAt('2026-04-23T12:30:00Z', 'linear');
    expect(linear).toMatchObject({
      status: 'unknown',
      evidence: [],
      deciding_event: null,
      reason: {
        code: 'before_first_event',
        message: expect.stringContaining(at('13:05:00')) as string,
        first_event_at: at('13:05:00'),
      },
    });
    // With an SLA and no success the live rule says stale; before its first event nothing is known.
    const { body } = await ask(`/freshness/${COLLECTION}`, '2026-04-23T11:00:00Z');
    expect(
      (body as unknown as CollectionFreshnessAt).sources.map((s) => [
        s.source_type,
        s.status,
        s.reason?.code,
      ]),
    ).toEqual([
      ['github', 'unknown', 'before_first_event'],
      ['linear', 'unknown', 'before_first_event'],
    ]);
  });

  it('source lifecycle as of T: listed once created, hidden once retired (shown with all=true), listed before', async () => {
    const { ask, lifecycle } = await scenario();
    await lifecycle('source_connection.created', '13:50:00', {
      source_connection_id: 'conn-notion',
      source_type: 'notion',
    });
    await lifecycle('source_connection.deleted', '13:45:00', {
      source_connection_id: 'conn-linear',
      source_type: 'linear',
    });
    const types = async (time: string, extra: Record<string, string> = {}) =>
      (
        (await ask(`/freshness/${COLLECTION}`, time, extra)).body as unknown as CollectionFreshnessAt
      ).sources.map((s) => [s.source_type, s.status, s.reason?.code ?? null, s.retired_at]);
    expect(await types('2026-04-23T13:40:00Z')).toEqual([
      ['github', 'fresh', null, null],
      ['linear', 'fresh', null, null],
      ['notion', 'unknown', 'before_first_event', null],
    ]);
    // Created at 13:50 with no job yet: listed, unknown by the status rule (no SLA), with no reason.
    expect(await types('2026-04-23T13:52:00Z')).toEqual([
      ['github', 'fresh', null, null],
      ['notion', 'unknown', null, null],
    ]);
    expect(await types('2026-04-23T13:52:00Z', { all: 'true' })).toEqual([
      ['github', 'fresh', null, null],
      ['linear', 'fresh', null, at('13:45:00')],
      ['notion', 'unknown', null, null],
    ]);
  });

  it('before the retention window every source is unknown with the reason', async () => {
    const { ask } = await scenario();
    // The test stack keeps audit items 30 days.
    const { status, body } = await ask(`/freshness/${COLLECTION}`, '2026-03-20T00:00:00Z');
    expect(status).toBe(200);
    for (const source of (body as unknown as CollectionFreshnessAt).sources)
      expect(source.reason).toEqual({
        code: 'before_retention',
        message: expect.stringMatching(
          /before the retention window: audit events are kept 30 days, since 2026-03-24T13:55/,
        ) as string,
        retained_since: '2026-03-24T13:55:00.000000Z',
      });
  });

  it('400 for a T in the future, without a zone, or empty; 404 for a collection never seen', async () => {
    const { ask } = await scenario();
    const future = await ask(`/freshness/${COLLECTION}`, '2026-04-23T14:00:00Z');
    expect(future).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/in the future/) as string },
    });
    expect((await ask('/freshness', '2026-04-23T14:00:00Z')).status).toBe(400);
    const naive = await ask(`/freshness/${COLLECTION}`, '2026-04-23T13:00:00');
    expect(naive).toEqual({
      status: 400,
      body: { error: expect.stringMatching(/RFC 3339 time with a zone/) as string },
    });
    expect((await ask(`/freshness/${COLLECTION}`, '')).body).toEqual({ error: 'at is required' });
    const missing = await ask('/freshness/nothing-here', '2026-04-23T13:00:00Z');
    expect(missing).toEqual({
      status: 404,
      body: { error: 'no events recorded for collection nothing-here' },
    });
  });

  it('GET /freshness?at=T lists every collection as of T; without at it stays the live view', async () => {
    const { ask } = await scenario();
    const { status, body } = await ask('/freshness', '2026-04-23T13:10:00Z');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      at: at('13:10:00'),
      collections: [
        {
          collection_readable_id: COLLECTION,
          stale: true,
          sources: [
            { source_type: 'github', status: 'failed' },
            { source_type: 'linear', status: 'fresh' },
          ],
        },
      ],
    });
    const live = await ask('/freshness', undefined);
    expect(live.body).toMatchObject({
      collections: [{ sources: [{ status: 'fresh' }, { status: 'fresh' }] }],
    });
    expect(live.body).not.toHaveProperty('at');
  });
});
