import { reconcileSource, runReconcile, SOURCES_AT_ONCE } from '../lambda/core/reconcile';
import { METRIC } from '../lambda/core/metrics';
import { runWatchdog } from '../lambda/core/watchdog';
import { AirweaveStandIn, type StandInJob } from '../harness/airweave-stand-in';
import { currentPayload, httpEvent, signedRequest } from '../harness/deliveries';
import { type Engine, startEngine } from './helpers/engine';
import { reconcileWiring } from '../harness/reconcile-wiring';
import { parseBody } from '../harness/stack';

const COLLECTION = 'engineering-context-ab123';
const GITHUB = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const SLACK = 'sc-slack-0001';

let engine: Engine;
let api: AirweaveStandIn;
let apiUrl: string;
beforeAll(async () => {
  engine = await startEngine();
  api = new AirweaveStandIn();
  apiUrl = await api.start();
});
afterAll(async () => {
  await api.stop();
  await engine.stop();
});
beforeEach(() => {
  api.reset();
  api.collections.push({
    id: 'c0ffee00-1111-4222-8333-444455556666',
    readable_id: COLLECTION,
    name: 'Engineering Context',
  });
  api.sources.push(
    { id: GITHUB, short_name: 'github', readable_collection_id: COLLECTION },
    { id: SLACK, short_name: 'slack', readable_collection_id: COLLECTION },
  );
});

async function fresh(options: Parameters<typeof reconcileWiring>[2] = {}) {
  const table = await engine.newTable();
  return { table, ...reconcileWiring(engine.client, table, { apiUrl, ...options }) };
}

function job(overrides: Partial<StandInJob> & Pick<StandInJob, 'id'>): StandInJob {
  return {
    source_connection_id: GITHUB,
    status: 'COMPLETED',
    created_at: '2026-04-23T13:40:00.000000Z',
    started_at: '2026-04-23T13:41:00.000000Z',
    completed_at: '2026-04-23T13:50:00.000000Z',
    failed_at: null,
    error: null,
    ...overrides,
  };
}

const deliver = (w: Awaited<ReturnType<typeof fresh>>, payload: object) =>
  w.webhook(signedRequest(payload)).then(parseBody);

async function freshnessOf(w: Awaited<ReturnType<typeof fresh>>, query = '') {
  const event = httpEvent('GET', '/freshness', {});
  const response = await w.query({
    ...event,
    rawQueryString: query,
    queryStringParameters: Object.fromEntries(new URLSearchParams(query)),
  });
  const body = parseBody(response) as { collections: { sources: Record<string, unknown>[] }[] };
  return body.collections.flatMap((c) => c.sources);
}

describe('a reconciliation run', () => {
  it('records a completion the webhooks lost, through the webhook path, and a later webhook is a duplicate', async () => {
    const w = await fresh();
    const base = { sync_job_id: 'job-1', source_connection_id: GITHUB };
    await deliver(
      w,
      currentPayload({ ...base, event_type: 'sync.pending', timestamp: '2026-04-23T13:40:00.000000Z' }),
    );
    await deliver(
      w,
      currentPayload({ ...base, event_type: 'sync.running', timestamp: '2026-04-23T13:41:00.000000Z' }),
    );
    api.jobs.push(job({ id: 'job-1' }));

    const report = await runReconcile(w.reconcile);
    expect(report.outcome).toBe('ok');
    const github = report.sources.find((s) => s.source_connection_id === GITHUB);
    expect(github).toMatchObject({
      jobs_checked: 1,
      recovered: [{ sync_job_id: 'job-1', event_type: 'sync.completed' }],
    });
    expect(report.states_recovered).toBe(1);

    const items = await engine.scan(w.table);
    const completed = items.find((i) => i.entity === 'event' && i.event_type === 'sync.completed');
    expect(completed).toMatchObject({
      origin: 'reconciled',
      timestamp: '2026-04-23T13:50:00.000000Z',
      payload_format: 'api',
    });
    expect(items.find((i) => i.entity === 'event' && i.event_type === 'sync.running')).toMatchObject({
      origin: 'webhook',
    });
    expect(items.find((i) => i.entity === 'job')).toMatchObject({
      state: 'completed',
      completed_at: '2026-04-23T13:50:00.000000Z',
    });
    expect(w.notifier.events.map((e) => [e.event_type, e.origin])).toContainEqual([
      'sync.completed',
      'reconciled',
    ]);
    expect(w.metrics.sum(METRIC.recordedEvents, { origin: 'reconciled' })).toBe(1);

    const [source] = (await freshnessOf(w)).filter((s) => s.source_connection_id === GITHUB);
    expect(source).toMatchObject({
      status: 'fresh',
      last_success_at: '2026-04-23T13:50:00.000000Z',
      last_success_origin: 'reconciled',
      verified_at: '2026-04-23T13:55:00.000000Z',
    });

    const late = await deliver(
      w,
      currentPayload({ ...base, event_type: 'sync.completed', timestamp: '2026-04-23T13:50:00.000000Z' }),
    );
    expect(late).toEqual({ result: 'duplicate' });
    // Nothing left to recover: a second run records nothing and publishes nothing.
    const published = w.notifier.events.length;
    expect((await runReconcile(w.reconcile)).states_recovered).toBe(0);
    expect(w.notifier.events).toHaveLength(published);
  });

  it('a lost failure is alerted once and reported failed, however often it is reconciled', async () => {
    const w = await fresh();
    api.jobs.push(
      job({
        id: 'job-f',
        status: 'FAILED',
        completed_at: null,
        failed_at: '2026-04-23T13:45:00Z',
        error: 'token expired',
      }),
    );
    await runReconcile(w.reconcile);
    await runReconcile(w.reconcile);
    expect(w.notifier.alertsOf('sync.failed')).toHaveLength(1);
    const [source] = (await freshnessOf(w)).filter((s) => s.source_connection_id === GITHUB);
    expect(source).toMatchObject({
      status: 'failed',
      last_error: 'token expired',
      last_failure_at: '2026-04-23T13:45:00.000000Z',
    });
  });

  it('a reconciled event never moves freshness backwards', async () => {
    const w = await fresh();
    await deliver(
      w,
      currentPayload({
        sync_job_id: 'job-new',
        source_connection_id: GITHUB,
        timestamp: '2026-04-23T13:52:00.000000Z',
      }),
    );
    // An older job whose every event was lost.
    api.jobs.push(
      job({
        id: 'job-old',
        created_at: '2026-04-23T10:00:00Z',
        started_at: '2026-04-23T10:01:00Z',
        completed_at: '2026-04-23T10:09:00Z',
      }),
    );
    const report = await runReconcile(w.reconcile);
    expect(report.sources.find((s) => s.source_connection_id === GITHUB)?.recovered).toHaveLength(3);
    const [source] = (await freshnessOf(w)).filter((s) => s.source_connection_id === GITHUB);
    expect(source).toMatchObject({
      last_success_at: '2026-04-23T13:52:00.000000Z',
      last_success_origin: 'webhook',
      last_job_id: 'job-new',
    });
  });

  it('lists every source connection, so a source whose events were all lost appears (awaiting its first sync)', async () => {
    const w = await fresh({ rules: [{ collection: '*', maxAge: 6 * 3600 }] });
    const report = await runReconcile(w.reconcile);
    expect(report.sources.map((s) => [s.source_type, s.registered, s.jobs_checked])).toEqual([
      ['github', true, 0],
      ['slack', true, 0],
    ]);
    const sources = await freshnessOf(w);
    expect(sources.map((s) => [s.source_type, s.status, s.source_connection_id])).toEqual([
      ['github', 'unknown', GITHUB],
      ['slack', 'unknown', SLACK],
    ]);
    // Within its SLA since it was listed, a never-synced source is not stale yet: no alert.
    await runWatchdog(w.watchdog);
    expect(w.notifier.alertsOf('source.stale')).toEqual([]);
    expect((await runReconcile(w.reconcile)).sources.every((s) => !s.registered)).toBe(true);
  });

  it('--collection reads one collection; --dry-run writes and publishes nothing', async () => {
    const w = await fresh();
    api.collections.push({ id: 'other', readable_id: 'other-collection', name: 'Other' });
    api.jobs.push(job({ id: 'job-1' }));
    const report = await runReconcile(w.reconcile, { collection: COLLECTION, dryRun: true });
    expect(report).toMatchObject({ outcome: 'ok', dry_run: true, collections: 1, states_recovered: 3 });
    expect(api.requests.some((r) => r.includes('other-collection'))).toBe(false);
    expect(await engine.scan(w.table)).toEqual([]);
    expect(w.notifier.events).toEqual([]);
  });

  it('is off and calls nothing while the API key is not configured', async () => {
    const w = await fresh({ apiUrl: undefined });
    expect((await runReconcile(w.reconcile)).outcome).toBe('not-configured');
    expect(api.requests).toEqual([]);
    expect(w.metrics.sum(METRIC.reconcileFailedRuns)).toBe(0);
  });
});

describe('failure answers of the API', () => {
  it('401 stops the run and tells operations once per episode, again after a run gets through', async () => {
    const w = await fresh({ apiKey: 'revoked' });
    expect((await runReconcile(w.reconcile)).outcome).toBe('unauthorized');
    expect((await runReconcile(w.reconcile)).outcome).toBe('unauthorized');
    expect(w.operations).toHaveLength(1);
    expect(w.operations[0]?.subject).toMatch(/not authorized/);
    expect(w.metrics.sum(METRIC.airweaveApiErrors, { status: '401' })).toBe(2);
    expect(w.metrics.sum(METRIC.reconcileFailedRuns)).toBe(2);

    const fixed = reconcileWiring(engine.client, w.table, { apiUrl });
    expect((await runReconcile(fixed.reconcile)).outcome).toBe('ok');
    api.failNext({ path: '/collections', status: 403 });
    expect((await runReconcile(fixed.reconcile)).outcome).toBe('unauthorized');
    expect(fixed.operations).toHaveLength(1);
  });

  it.each([429, 500, 503])(
    '%s backs off: the run starts no more sources and the next run catches up',
    async (status) => {
      const w = await fresh();
      const more = Array.from({ length: 10 }, (_, i) => `sc-more-${i}`);
      for (const id of more) {
        api.sources.push({ id, short_name: 'notion', readable_collection_id: COLLECTION });
        api.jobs.push(job({ id: `job-${id}`, source_connection_id: id }));
      }
      api.jobs.push(job({ id: 'job-1' }), job({ id: 'job-s', source_connection_id: SLACK }));
      api.failNext({ path: `/source-connections/${GITHUB}/jobs`, status });
      const report = await runReconcile(w.reconcile);
      expect(report).toMatchObject({ outcome: 'backed-off', api_errors: { [status]: 1 } });
      // The sources already in flight finish; none is started after the refusal, so most wait for the next run.
      const jobCalls = api.requests.filter((r) => r.endsWith('/jobs?limit=5'));
      expect(jobCalls.length).toBeLessThan(2 * SOURCES_AT_ONCE);
      expect(report.sources.map((s) => s.source_connection_id)).not.toContain(GITHUB);
      const next = await runReconcile(w.reconcile);
      expect(next.outcome).toBe('ok');
      // Every job's three states, once over the two runs: what the first run recorded is kept.
      expect(report.states_recovered + next.states_recovered).toBe(3 * 12);
    },
  );

  it('checks sources a few at a time, and reports them in the order the API lists them', async () => {
    const w = await fresh();
    const ids = Array.from({ length: 12 }, (_, i) => `sc-${String(i).padStart(2, '0')}`);
    for (const id of ids) api.sources.push({ id, short_name: 'notion', readable_collection_id: COLLECTION });
    api.latencyMs = 40;
    const report = await runReconcile(w.reconcile);
    expect(report.outcome).toBe('ok');
    expect(api.maxInFlight).toBe(SOURCES_AT_ONCE);
    expect(report.sources.map((s) => s.source_connection_id)).toEqual([GITHUB, SLACK, ...ids]);
  });

  it('a malformed answer for one source skips it and checks the others (partial)', async () => {
    const w = await fresh();
    api.jobs.push(
      job({ id: 'job-s', source_connection_id: SLACK }),
      job({ id: 'job-odd', status: 'PAUSED' as never }),
    );
    api.failNext({ path: `/source-connections/${GITHUB}/jobs`, status: 200, body: '{"jobs": ' });
    const report = await runReconcile(w.reconcile);
    expect(report.outcome).toBe('partial');
    expect(report.problems.join('\n')).toMatch(/the body is not JSON/);
    expect(report.sources.find((s) => s.source_connection_id === SLACK)?.recovered).toHaveLength(3);
    expect(w.metrics.sum(METRIC.reconcileFailedRuns)).toBe(1);

    // An unknown status and a malformed job are skipped and named; the run goes on.
    const second = await runReconcile(w.reconcile);
    expect(second.problems.join('\n')).toMatch(/job job-odd: unknown status paused/);
  });

  it('a source deleted between the listing and its jobs (404) is skipped', async () => {
    const w = await fresh();
    api.failNext({ path: `/source-connections/${GITHUB}/jobs`, status: 404 });
    const report = await runReconcile(w.reconcile);
    expect(report.outcome).toBe('partial');
    expect(report.sources.find((s) => s.source_connection_id === SLACK)?.problems).toEqual([]);
  });
});

describe('reconciling on suspicion', () => {
  it('the watchdog asks the API before raising job.stuck: a completion that was lost is no false alert', async () => {
    const w = await fresh({ stuckAfterSeconds: 60 });
    const base = { sync_job_id: 'job-1', source_connection_id: GITHUB };
    await deliver(
      w,
      currentPayload({ ...base, event_type: 'sync.running', timestamp: '2026-04-23T13:41:00.000000Z' }),
    );
    api.jobs.push(job({ id: 'job-1' }));

    const blind = await runWatchdog(w.watchdog);
    expect(blind.stuck).toBe(1);

    const w2 = await fresh({ stuckAfterSeconds: 60 });
    await deliver(
      w2,
      currentPayload({ ...base, event_type: 'sync.running', timestamp: '2026-04-23T13:41:00.000000Z' }),
    );
    const report = await runWatchdog({
      ...w2.watchdog,
      verify: async (record) => void (await reconcileSource(w2.reconcile, record)),
    });
    expect(report.stuck).toBe(0);
    expect(w2.notifier.alertsOf('job.stuck')).toEqual([]);
    expect((await freshnessOf(w2))[0]).toMatchObject({ status: 'fresh', last_success_origin: 'reconciled' });
  });

  it("a job's start while the previous job has no terminal state reconciles the source", async () => {
    const w = await fresh();
    const deliverAndSettle = async (wiring: typeof w, payload: object) => {
      await deliver(wiring, payload);
      await wiring.settled();
    };
    api.jobs.push(job({ id: 'job-1' }));
    const event = (job: string, source: string, type: string, minute: number) =>
      deliverAndSettle(
        w,
        currentPayload({
          sync_job_id: job,
          source_connection_id: source,
          event_type: type,
          timestamp: `2026-04-23T13:${minute}:00.000000Z`,
        }),
      );
    await event('job-1', GITHUB, 'sync.running', 41);
    expect(w.suspicions).toEqual([undefined]);
    // job-1's completion was lost; job-2 starts.
    await event('job-2', GITHUB, 'sync.pending', 51);
    expect(w.suspicions.at(-1)).toMatchObject({
      recovered: [
        { sync_job_id: 'job-1', event_type: 'sync.pending' },
        { sync_job_id: 'job-1', event_type: 'sync.completed' },
      ],
    });
    expect(
      (await engine.scan(w.table)).find((i) => i.entity === 'job' && i.sync_job_id === 'job-1'),
    ).toMatchObject({
      state: 'completed',
    });
    // A previous job that ended is no suspicion: the API is not asked.
    await event('job-3', SLACK, 'sync.completed', 41);
    const asked = api.requests.length;
    await event('job-4', SLACK, 'sync.running', 51);
    expect(w.suspicions.at(-1)).toBeUndefined();
    expect(api.requests).toHaveLength(asked);
  });

  it('a failing suspicion check never fails the delivery', async () => {
    const w = await fresh();
    w.registry.previousJob = () => Promise.reject(new Error('engine unreachable'));
    const answer = await deliver(
      w,
      currentPayload({
        sync_job_id: 'job-1',
        source_connection_id: GITHUB,
        event_type: 'sync.running',
        timestamp: '2026-04-23T13:41:00.000000Z',
      }),
    );
    expect(answer).toEqual({ result: 'processed' });
    expect(w.reconcileSoon).toHaveLength(1);
  });
});

describe('source lifecycle events', () => {
  const created = {
    event_type: 'source_connection.created',
    timestamp: '2026-04-23T13:30:00.000000Z',
    organization_id: 'org',
    source_connection_id: 'sc-new',
    collection_readable_id: COLLECTION,
    source_type: 'notion',
    is_authenticated: true,
  };

  it('source_connection.created lists the source at once as unknown; a repeat is a duplicate', async () => {
    const w = await fresh();
    expect(await deliver(w, created)).toEqual({ result: 'processed' });
    expect(await deliver(w, created)).toEqual({ result: 'duplicate' });
    expect(await freshnessOf(w)).toEqual([
      expect.objectContaining({
        source_connection_id: 'sc-new',
        source_type: 'notion',
        status: 'unknown',
        last_job_id: null,
      }),
    ]);
  });

  it('source_connection.deleted retires: hidden unless all=true, no stale alert, no pipeline block, history kept', async () => {
    const w = await fresh({
      rules: [{ collection: '*', maxAge: 3600 }],
      pipelines: [{ name: 'p', collection: COLLECTION, requires: ['github', 'slack'], window: 3600 }],
    });
    await deliver(
      w,
      currentPayload({
        sync_job_id: 'old',
        source_connection_id: GITHUB,
        timestamp: '2026-04-23T08:00:00.000000Z',
      }),
    );
    await deliver(w, {
      ...created,
      event_type: 'source_connection.deleted',
      source_connection_id: GITHUB,
      source_type: 'github',
    });
    expect(await freshnessOf(w)).toEqual([]);
    expect(await freshnessOf(w, 'all=true')).toEqual([
      expect.objectContaining({
        source_connection_id: GITHUB,
        retired_at: '2026-04-23T13:30:00.000000Z',
        last_success_at: '2026-04-23T08:00:00.000000Z',
      }),
    ]);
    await runWatchdog(w.watchdog);
    expect(w.notifier.alertsOf('source.stale')).toEqual([]);
    // A late failure of the retired source blocks nothing.
    await deliver(
      w,
      currentPayload({
        sync_job_id: 'late',
        source_connection_id: GITHUB,
        event_type: 'sync.failed',
        error: 'gone',
        timestamp: '2026-04-23T13:20:00.000000Z',
      }),
    );
    expect(w.notifier.alertsOf('pipeline.blocked')).toEqual([]);
    expect((await engine.scan(w.table)).filter((i) => i.entity === 'event')).toHaveLength(2);
  });

  it('collection.deleted retires every source of the collection', async () => {
    const w = await fresh();
    await deliver(w, created);
    await deliver(w, currentPayload({ sync_job_id: 'j', source_connection_id: GITHUB }));
    await deliver(w, {
      event_type: 'collection.deleted',
      collection_readable_id: COLLECTION,
      collection_id: 'c',
      collection_name: 'E',
      timestamp: '2026-04-23T13:54:00Z',
    });
    expect(await freshnessOf(w)).toEqual([]);
    expect((await freshnessOf(w, 'all=true')).map((s) => s.retired_at)).toEqual([
      '2026-04-23T13:54:00.000000Z',
      '2026-04-23T13:54:00.000000Z',
    ]);
  });

  it('a lifecycle payload without its ids is quarantined, not lost', async () => {
    const w = await fresh();
    expect(
      await deliver(w, { event_type: 'source_connection.deleted', collection_readable_id: COLLECTION }),
    ).toEqual({ result: 'quarantined' });
  });
});
