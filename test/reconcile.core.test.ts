import { TableSourceRegistry } from '../lambda/adapters/store/source-registry';
import { memoryStores } from '../lambda/adapters/store/stores';
import { compose } from '../lambda/compose';
import {
  AirweaveApiError,
  type AirweaveApi,
  MalformedResponseError,
  parseCollections,
  parseJobs,
  parseSourceConnections,
} from '../lambda/core/airweave';
import type { AlertRoute } from '../lambda/core/config';
import { METRIC, type MetricName, type MetricsSink } from '../lambda/core/metrics';
import type { Log } from '../lambda/core/ports';
import {
  boundedWalk,
  failedRun,
  reconcileOnSuspicion,
  reconcileSource,
  runReconcile,
  SOURCES_AT_ONCE,
  type OperationsNotifier,
  type ReconcileDeps,
  type SourceRegistry,
} from '../lambda/core/reconcile';
import { settingsOf, syncEvent } from './helpers/core-fixtures';
import { RecordingNotifier } from '../harness/recording-notifier';
import { RecordingStarter } from '../harness/recording-starter';

/**
 * Reconciliation on the in-memory stores and source registry (the executable spec that
 * store.property.test.ts holds equal to DynamoDB on the local engine), so every rule it applies runs in
 * milliseconds under mutation. The engine-level runs, over real HTTP, are in reconcile.test.ts.
 */
const NOW = new Date('2026-04-23T14:00:00.000Z');
const NOW_TEXT = '2026-04-23T14:00:00.000000Z';
const at = (time: string) => `2026-04-23T${time}.000000Z`;

/**
 * A STAND-IN for Airweave's API (an external SaaS the tests cannot call), in process: it answers from
 * bodies as the API sends them, through the real parsers, and throws what the HTTP client throws for a
 * scripted failure (`AirweaveApiError` with the status, `MalformedResponseError`).
 */
class ApiStandIn implements AirweaveApi {
  collectionsBody: unknown = [];
  readonly sourcesBody: Record<string, unknown> = {};
  readonly jobsBody: Record<string, unknown[]> = {};
  /** A failure for a call (`collections`, `sources <collection>`, `jobs <source id>`), thrown once per call. */
  readonly failures = new Map<string, () => Error>();
  readonly calls: string[] = [];

  async collections() {
    this.call('collections');
    return parseCollections(this.collectionsBody);
  }

  async sourceConnections(collection: string) {
    this.call(`sources ${collection}`);
    return parseSourceConnections(this.sourcesBody[collection] ?? []);
  }

  async jobs(sourceConnectionId: string, limit: number) {
    this.call(`jobs ${sourceConnectionId}`);
    // Newest first, at most `limit`, as the API answers.
    return parseJobs((this.jobsBody[sourceConnectionId] ?? []).slice(0, limit));
  }

  fail(call: string, status: number | undefined): void {
    this.failures.set(call, () => new AirweaveApiError(status, `/${call}`, 'scripted'));
  }

  private call(name: string): void {
    this.calls.push(name);
    const failure = this.failures.get(name);
    if (failure) throw failure();
  }
}

const job = (id: string, source: string, status: string, times: Record<string, string | null>) => ({
  id,
  source_connection_id: source,
  status,
  created_at: null,
  started_at: null,
  completed_at: null,
  failed_at: null,
  error: null,
  ...times,
});

class Metrics implements MetricsSink {
  readonly counts: { name: MetricName; dimensions: Record<string, string>; value: number }[] = [];
  count(name: MetricName, dimensions: Readonly<Record<string, string>> = {}, value = 1): void {
    this.counts.push({ name, dimensions: { ...dimensions }, value });
  }
  seconds(): void {}
  of(name: MetricName) {
    return this.counts.filter((c) => c.name === name).map((c) => ({ ...c.dimensions, value: c.value }));
  }
}

function setup(options: { api?: boolean; registry?: (r: SourceRegistry) => SourceRegistry } = {}) {
  const settings = settingsOf({
    freshness: [{ collection: '*', maxAge: '6h' }],
    alerts: [{ team: 'eng', match: { sourceTypes: ['github'] } }],
  });
  const stores = memoryStores({ retentionDays: 30 });
  const table = new TableSourceRegistry(stores.table);
  const registry = options.registry ? options.registry(table) : table;
  const notifier = new RecordingNotifier();
  const metrics = new Metrics();
  const logged: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const log: Log = {
    info: (message, fields) => void logged.push({ level: 'info', message, fields }),
    warn: (message, fields) => void logged.push({ level: 'warn', message, fields }),
    error: (message, fields) => void logged.push({ level: 'error', message, fields }),
  };
  const told: { subject: string; body: Record<string, unknown> }[] = [];
  const operations: OperationsNotifier & { failing: boolean } = {
    failing: false,
    async notify(subject, body) {
      if (this.failing) throw new Error('operations topic unavailable');
      told.push({ subject, body });
    },
  };
  const api = new ApiStandIn();
  api.collectionsBody = [{ id: 'c-uuid', readable_id: 'docs-ab12', name: 'Docs' }];
  api.sourcesBody['docs-ab12'] = [
    {
      id: 'sc-1',
      name: 'GitHub',
      short_name: 'github',
      readable_collection_id: 'docs-ab12',
      status: 'active',
    },
  ];
  const deps: ReconcileDeps = {
    ...compose(
      {
        stores,
        settings: {
          retentionDays: 30,
          freshness: settings.freshness,
          alerts: settings.alerts.map(
            ({ team, match }) => ({ team, match }) as Pick<AlertRoute, 'team' | 'match'>,
          ),
          pipelines: [],
          watchdog: settings.watchdog,
        },
        log,
        metrics,
        now: () => NOW,
      },
      { notifier, starter: new RecordingStarter(), registry },
    ),
    api: options.api === false ? undefined : api,
    operations,
    jobs: 5,
  };
  const record = async (collection = 'docs-ab12', source = 'sc-1') =>
    (await stores.freshness.collectionFreshness(collection)).find((r) => r.source_key === source);
  return { deps, api, stores, notifier, metrics, logged, told, operations, record, registry: table };
}

const completedJob = job('job-1', 'sc-1', 'COMPLETED', {
  created_at: '2026-04-23T13:00:00Z',
  started_at: '2026-04-23T13:01:00Z',
  completed_at: '2026-04-23T13:10:00Z',
});

describe('failedRun: the runs the consecutive-failure alarm counts', () => {
  it('partial, backed-off and unauthorized runs failed; ok and not-configured did not', () => {
    expect(failedRun('partial')).toBe(true);
    expect(failedRun('backed-off')).toBe(true);
    expect(failedRun('unauthorized')).toBe(true);
    expect(failedRun('ok')).toBe(false);
    expect(failedRun('not-configured')).toBe(false);
  });
});

describe('runReconcile', () => {
  it('without an API key it does nothing, says so (the run line as a warning), and counts no failed run', async () => {
    const { deps, api, metrics, logged, stores } = setup({ api: false });
    const report = await runReconcile(deps);
    expect(report).toEqual({
      outcome: 'not-configured',
      dry_run: false,
      collections: 0,
      sources: [],
      jobs_checked: 0,
      states_recovered: 0,
      api_errors: {},
      problems: [],
    });
    expect(api.calls).toEqual([]);
    expect(stores.table.items()).toEqual([]);
    expect(metrics.of(METRIC.reconcileRuns)).toEqual([{ outcome: 'not-configured', value: 1 }]);
    expect(metrics.of(METRIC.reconcileFailedRuns)).toEqual([{ value: 0 }]);
    expect(logged.map((l) => [l.level, l.message])).toEqual([
      ['info', 'reconciliation not configured: set the Airweave API key to turn it on'],
      ['warn', 'reconciliation run'],
    ]);
  });

  it('records every state the table lacks, oldest first, through the webhook path, as reconciled', async () => {
    const { deps, api, notifier, metrics, record, logged } = setup();
    api.jobsBody['sc-1'] = [completedJob];
    const report = await runReconcile(deps);
    expect(report).toEqual({
      outcome: 'ok',
      dry_run: false,
      collections: 1,
      sources: [
        {
          collection_readable_id: 'docs-ab12',
          source_connection_id: 'sc-1',
          source_type: 'github',
          jobs_checked: 1,
          registered: true,
          recovered: [
            { sync_job_id: 'job-1', event_type: 'sync.pending' },
            { sync_job_id: 'job-1', event_type: 'sync.running' },
            { sync_job_id: 'job-1', event_type: 'sync.completed' },
          ],
          problems: [],
        },
      ],
      jobs_checked: 1,
      states_recovered: 3,
      api_errors: {},
      problems: [],
    });
    expect(api.calls).toEqual(['collections', 'sources docs-ab12', 'jobs sc-1']);
    expect(notifier.events.map((e) => [e.event_type, e.origin])).toEqual([
      ['sync.pending', 'reconciled'],
      ['sync.running', 'reconciled'],
      ['sync.completed', 'reconciled'],
    ]);
    expect(await record()).toMatchObject({
      latest_state: 'completed',
      last_success_at: at('13:10:00'),
      last_success_origin: 'reconciled',
      registered_at: NOW_TEXT,
      verified_at: NOW_TEXT,
      collection_name: 'Docs',
    });
    expect(metrics.of(METRIC.recordedEvents)).toEqual([
      { origin: 'reconciled', value: 1 },
      { origin: 'reconciled', value: 1 },
      { origin: 'reconciled', value: 1 },
    ]);
    expect(metrics.of(METRIC.reconcileRuns)).toEqual([{ outcome: 'ok', value: 1 }]);
    expect(metrics.of(METRIC.reconcileFailedRuns)).toEqual([{ value: 0 }]);
    expect(logged.at(-1)).toEqual({
      level: 'info',
      message: 'reconciliation run',
      fields: {
        outcome: 'ok',
        dry_run: false,
        collections: 1,
        sources: 1,
        jobs_checked: 1,
        states_recovered: 3,
        api_errors: {},
      },
    });
  });

  it('a second run finds every state held: nothing recovered, nothing registered, nothing published', async () => {
    const { deps, api, notifier } = setup();
    api.jobsBody['sc-1'] = [completedJob];
    await runReconcile(deps);
    const published = notifier.events.length;
    const report = await runReconcile(deps);
    expect(report.sources[0]).toMatchObject({ registered: false, recovered: [], jobs_checked: 1 });
    expect(report.states_recovered).toBe(0);
    expect(notifier.events).toHaveLength(published);
  });

  it('only the states the webhooks missed are recovered, per job', async () => {
    const { deps, api, stores } = setup();
    const webhook = syncEvent({
      event_type: 'sync.pending',
      sync_job_id: 'job-1',
      source_connection_id: 'sc-1',
      collection_readable_id: 'docs-ab12',
      timestamp: '2026-04-23T13:00:00Z',
    });
    await stores.recorder.putAuditEvent(webhook, { id: 'msg_1', receivedAt: at('13:00:01') });
    api.jobsBody['sc-1'] = [
      job('job-2', 'sc-1', 'RUNNING', {
        created_at: '2026-04-23T13:20:00Z',
        started_at: '2026-04-23T13:21:00Z',
      }),
      completedJob,
    ];
    const report = await runReconcile(deps);
    expect(report.sources[0]?.recovered).toEqual([
      { sync_job_id: 'job-1', event_type: 'sync.running' },
      { sync_job_id: 'job-1', event_type: 'sync.completed' },
      { sync_job_id: 'job-2', event_type: 'sync.pending' },
      { sync_job_id: 'job-2', event_type: 'sync.running' },
    ]);
    expect(report.jobs_checked).toBe(2);
  });

  it('states at the same time are recorded in lifecycle order (pending before running)', async () => {
    const { deps, api, notifier } = setup();
    api.jobsBody['sc-1'] = [
      job('job-1', 'sc-1', 'FAILED', {
        created_at: '2026-04-23T13:00:00Z',
        started_at: '2026-04-23T13:00:00Z',
        failed_at: '2026-04-23T13:00:00Z',
        error: 'boom',
      }),
    ];
    await runReconcile(deps);
    expect(notifier.events.map((e) => e.event_type)).toEqual(['sync.pending', 'sync.running', 'sync.failed']);
    // The recovered failure alerts its team, as a webhook's would.
    expect(notifier.alerts.map((a) => [a.team, a.alert.kind])).toEqual([['eng', 'sync.failed']]);
  });

  it('a state recorded by a webhook between the read and the write is a duplicate: not counted as recovered', async () => {
    const { deps, api, metrics, notifier } = setup({
      registry: (r) =>
        Object.assign(Object.create(r) as SourceRegistry, { recordedStates: async () => new Map() }),
    });
    api.jobsBody['sc-1'] = [completedJob];
    await runReconcile(deps);
    const second = await runReconcile(deps);
    expect(second.sources[0]?.recovered).toEqual([]);
    expect(second.states_recovered).toBe(0);
    expect(metrics.of(METRIC.recordedEvents)).toHaveLength(3);
    expect(notifier.events).toHaveLength(6);
  });

  it('a dry run reads the API and reports what it would record, and writes and publishes nothing', async () => {
    const { deps, api, stores, notifier, metrics, registry } = setup();
    await registry.openNotice('unauthorized', at('12:00:00'));
    await registry.registerSource(
      {
        collection_readable_id: 'docs-ab12',
        collection_name: 'Docs',
        collection_id: 'c-uuid',
        source_connection_id: 'sc-1',
        source_type: 'github',
        source_key: 'sc-1',
      },
      at('12:00:00'),
    );
    const before = stores.table.items();
    api.jobsBody['sc-1'] = [completedJob];
    // A second source the table does not list yet: a dry run does not list it.
    (api.sourcesBody['docs-ab12'] as unknown[]).push({
      id: 'sc-2',
      short_name: 'slack',
      readable_collection_id: 'docs-ab12',
    });
    const report = await runReconcile(deps, { dryRun: true });
    expect(report.dry_run).toBe(true);
    expect(report.outcome).toBe('ok');
    expect(report.sources.map((r) => r.registered)).toEqual([false, false]);
    expect(report.sources[0]).toMatchObject({ jobs_checked: 1 });
    expect(report.sources[0]?.recovered.map((r) => r.event_type)).toEqual([
      'sync.pending',
      'sync.running',
      'sync.completed',
    ]);
    expect(stores.table.items()).toEqual(before);
    expect(notifier.events).toEqual([]);
    expect(metrics.of(METRIC.recordedEvents)).toEqual([]);
  });

  it('a run that got through ends the unauthorized episode, so the next 401 is told again', async () => {
    const { deps, api, told, registry } = setup();
    api.fail('collections', 401);
    expect((await runReconcile(deps)).outcome).toBe('unauthorized');
    expect((await runReconcile(deps)).outcome).toBe('unauthorized');
    expect(told).toHaveLength(1);
    expect(told[0]).toEqual({
      subject: 'Airweave API key not authorized: sync reconciliation is off',
      body: {
        kind: 'reconcile.unauthorized',
        detail:
          'Airweave answered 401/403 to the reconciler. Put a valid API key in the stack secret ' +
          '(README: "Set the Airweave API key"); reconciliation resumes on the next run.',
        at: NOW_TEXT,
      },
    });
    expect(await registry.openNotice('unauthorized', NOW_TEXT)).toBe(false);
    api.failures.clear();
    expect((await runReconcile(deps)).outcome).toBe('ok');
    expect(await registry.openNotice('unauthorized', NOW_TEXT)).toBe(true);
    await registry.closeNotice('unauthorized');
    api.fail('collections', 403);
    await runReconcile(deps);
    expect(told).toHaveLength(2);
  });

  it('a 401 in a dry run tells nobody, and a dry run leaves an open episode open', async () => {
    const { deps, api, told, registry } = setup();
    api.fail('sources docs-ab12', 401);
    const report = await runReconcile(deps, { dryRun: true });
    expect(report).toMatchObject({ outcome: 'unauthorized', collections: 1, api_errors: { 401: 1 } });
    expect(told).toEqual([]);
    await registry.openNotice('unauthorized', NOW_TEXT);
    api.failures.clear();
    await runReconcile(deps, { dryRun: true });
    expect(await registry.openNotice('unauthorized', NOW_TEXT)).toBe(false);
  });

  it('an operations notice that cannot be sent reopens the episode and is reported', async () => {
    const { deps, api, told, operations, registry } = setup();
    api.fail('collections', 401);
    operations.failing = true;
    const report = await runReconcile(deps);
    expect(report.problems).toEqual(['operations notice failed: operations topic unavailable']);
    expect(report.outcome).toBe('unauthorized');
    operations.failing = false;
    await runReconcile(deps);
    expect(told).toHaveLength(1);
    expect(await registry.openNotice('unauthorized', NOW_TEXT)).toBe(false);
  });

  it.each([
    [429, '429'],
    [500, '500'],
    [503, '503'],
    [undefined, 'none'],
  ])('a %s stops the run as backed-off, keeping what was learned', async (status, key) => {
    const { deps, api, metrics, logged, told } = setup();
    api.collectionsBody = [
      { id: null, readable_id: 'docs-ab12', name: 'Docs' },
      { id: null, readable_id: 'later-cd34', name: 'Later' },
    ];
    api.jobsBody['sc-1'] = [completedJob];
    api.fail('sources later-cd34', status);
    const report = await runReconcile(deps);
    expect(report.outcome).toBe('backed-off');
    expect(report.collections).toBe(2);
    expect(report.api_errors).toEqual({ [key]: 1 });
    expect(report.sources.map((s) => s.source_connection_id)).toEqual(['sc-1']);
    expect(report.states_recovered).toBe(3);
    expect(metrics.of(METRIC.airweaveApiErrors)).toEqual([{ status: key, value: 1 }]);
    expect(metrics.of(METRIC.reconcileRuns)).toEqual([{ outcome: 'backed-off', value: 1 }]);
    expect(metrics.of(METRIC.reconcileFailedRuns)).toEqual([{ value: 1 }]);
    expect(logged.at(-1)?.level).toBe('warn');
    expect(told).toEqual([]);
  });

  it('a back-off on one source stops the walk of the others', async () => {
    const { deps, api } = setup();
    api.sourcesBody['docs-ab12'] = Array.from({ length: 12 }, (_, i) => ({
      id: `sc-${i}`,
      short_name: 'github',
      readable_collection_id: 'docs-ab12',
    }));
    api.fail('jobs sc-0', 429);
    const report = await runReconcile(deps);
    expect(report.outcome).toBe('backed-off');
    // The first few were in flight together and finish; none is started after the failure.
    expect(api.calls.filter((c) => c.startsWith('jobs')).length).toBeLessThanOrEqual(SOURCES_AT_ONCE);
    expect(report.sources.length).toBe(SOURCES_AT_ONCE - 1);
  });

  it('a 404 or another 4xx on one source skips it, names it, and checks the others: partial', async () => {
    const { deps, api, metrics, logged } = setup();
    api.sourcesBody['docs-ab12'] = [
      { id: 'sc-1', short_name: 'github', readable_collection_id: 'docs-ab12' },
      { id: 'sc-2', short_name: 'slack', readable_collection_id: 'docs-ab12' },
      { id: 'sc-3', short_name: 'linear', readable_collection_id: 'docs-ab12' },
    ];
    api.jobsBody['sc-3'] = [job('job-3', 'sc-3', 'COMPLETED', { created_at: '2026-04-23T13:00:00Z' })];
    api.fail('jobs sc-1', 404);
    api.fail('jobs sc-2', 422);
    const report = await runReconcile(deps);
    expect(report.outcome).toBe('partial');
    expect(report.api_errors).toEqual({ 404: 1, 422: 1 });
    expect(report.problems).toEqual([
      'docs-ab12/sc-1: source sc-1: 404 from GET /jobs sc-1: scripted',
      'docs-ab12/sc-2: source sc-2: 422 from GET /jobs sc-2: scripted',
    ]);
    expect(report.sources.map((s) => [s.source_connection_id, s.registered, s.recovered.length])).toEqual([
      ['sc-1', true, 0],
      ['sc-2', true, 0],
      ['sc-3', true, 2],
    ]);
    expect(metrics.of(METRIC.reconcileFailedRuns)).toEqual([{ value: 1 }]);
    expect(logged.at(-1)).toMatchObject({ level: 'warn', fields: { problems: report.problems } });
  });

  it('the run log lists at most 20 problems', async () => {
    const { deps, api, logged } = setup();
    api.sourcesBody['docs-ab12'] = Array.from({ length: 25 }, (_, i) => ({
      id: `sc-${i}`,
      short_name: 'github',
      readable_collection_id: 'docs-ab12',
    }));
    for (let i = 0; i < 25; i++) api.fail(`jobs sc-${i}`, 404);
    const report = await runReconcile(deps);
    expect(report.problems).toHaveLength(25);
    expect((logged.at(-1)?.fields?.problems as string[]).length).toBe(20);
  });

  it('jobs with an unknown status or no times, and unreadable list items, are reported, the rest recorded', async () => {
    const { deps, api } = setup();
    api.sourcesBody['docs-ab12'] = [
      { id: 'sc-1', short_name: 'github', readable_collection_id: 'docs-ab12' },
      { short_name: 'broken' },
    ];
    api.jobsBody['sc-1'] = [
      job('job-3', 'sc-1', 'PAUSED', { created_at: '2026-04-23T13:30:00Z' }),
      job('job-2', 'sc-1', 'PENDING', {}),
      { id: 'job-bad' },
      completedJob,
    ];
    const report = await runReconcile(deps);
    expect(report.outcome).toBe('partial');
    expect(report.sources[0]?.jobs_checked).toBe(3);
    expect(report.sources[0]?.recovered).toHaveLength(3);
    expect(report.problems).toEqual([
      expect.stringMatching(/^docs-ab12: source connection \[1\] id: /),
      expect.stringMatching(/^docs-ab12\/sc-1: job \[2\] status: /),
      'docs-ab12/sc-1: job job-3: unknown status paused',
      'docs-ab12/sc-1: job job-2: no times',
    ]);
  });

  it('a malformed listing skips that part of the run; a malformed collections list skips everything', async () => {
    const { deps, api } = setup();
    api.sourcesBody['docs-ab12'] = { unexpected: true };
    let report = await runReconcile(deps);
    expect(report).toMatchObject({ outcome: 'partial', sources: [], collections: 1 });
    expect(report.problems).toEqual(['collection docs-ab12: source connections: expected a JSON array']);
    api.collectionsBody = 'nope';
    report = await runReconcile(deps);
    expect(report).toMatchObject({ outcome: 'partial', collections: 0 });
    expect(report.problems).toEqual(['collections: collections: expected a JSON array']);
  });

  it("a malformed jobs answer or a failing write is one source's problem, not the run's", async () => {
    const { deps, api } = setup({
      registry: (r) =>
        Object.assign(Object.create(r) as SourceRegistry, {
          markVerified: async (collection: string, source: string, time: string) => {
            if (source === 'sc-2') throw new Error('table unavailable');
            return r.markVerified(collection, source, time);
          },
        }),
    });
    api.sourcesBody['docs-ab12'] = [
      { id: 'sc-1', short_name: 'github', readable_collection_id: 'docs-ab12' },
      { id: 'sc-2', short_name: 'slack', readable_collection_id: 'docs-ab12' },
    ];
    api.failures.set('jobs sc-1', () => new MalformedResponseError('jobs: expected a JSON array'));
    const report = await runReconcile(deps);
    expect(report.outcome).toBe('partial');
    expect(report.api_errors).toEqual({});
    expect(report.problems).toEqual([
      'docs-ab12/sc-1: source sc-1: jobs: expected a JSON array',
      'docs-ab12/sc-2: recording failed: table unavailable',
    ]);
  });

  it("an error that is not the API's fails the run (a bug, not a skip)", async () => {
    const { deps, api } = setup();
    api.failures.set('collections', () => new TypeError('bug'));
    await expect(runReconcile(deps)).rejects.toThrow('bug');
    api.failures.clear();
    api.failures.set('sources docs-ab12', () => new TypeError('bug in listing'));
    await expect(runReconcile(deps)).rejects.toThrow('bug in listing');
  });

  it('a malformed listing of one collection skips it and still checks the next', async () => {
    const { deps, api } = setup();
    api.collectionsBody = [
      { id: null, readable_id: 'broken-cd34', name: 'Broken' },
      { id: 'c-uuid', readable_id: 'docs-ab12', name: 'Docs' },
    ];
    api.sourcesBody['broken-cd34'] = 'not a list';
    const report = await runReconcile(deps);
    expect(report.outcome).toBe('partial');
    expect(report.sources.map((s) => s.source_connection_id)).toEqual(['sc-1']);
    expect(report.problems).toEqual(['collection broken-cd34: source connections: expected a JSON array']);
  });

  it('recovered states across jobs are recorded by time, then lifecycle order at equal times', async () => {
    const { deps, api, notifier } = setup();
    // Newest first by creation, as the API lists them; the older job started when the newer one ended.
    api.jobsBody['sc-1'] = [
      job('job-2', 'sc-1', 'COMPLETED', {
        created_at: '2026-04-23T12:00:00Z',
        started_at: '2026-04-23T12:30:00Z',
        completed_at: '2026-04-23T13:00:00Z',
      }),
      job('job-1', 'sc-1', 'RUNNING', {
        created_at: '2026-04-23T11:00:00Z',
        started_at: '2026-04-23T13:00:00Z',
      }),
    ];
    await runReconcile(deps);
    expect(notifier.events.map((e) => `${e.sync_job_id} ${e.state}`)).toEqual([
      'job-1 pending',
      'job-2 pending',
      'job-2 running',
      'job-1 running',
      'job-2 completed',
    ]);
  });

  it('each recovered audit event is keyed as a delivery of its own, named after the job and state', async () => {
    const { deps, api, stores } = setup();
    api.jobsBody['sc-1'] = [completedJob];
    await runReconcile(deps);
    const { events } = await stores.reads.job('job-1');
    expect(events.map((e) => [e.svix_id, e.received_at, e.origin])).toEqual(
      expect.arrayContaining([
        ['reconciled:job-1:sync.pending', NOW_TEXT, 'reconciled'],
        ['reconciled:job-1:sync.running', NOW_TEXT, 'reconciled'],
        ['reconciled:job-1:sync.completed', NOW_TEXT, 'reconciled'],
      ]),
    );
    expect(events).toHaveLength(3);
  });

  it('`collection` limits the run to one collection; a source keeps the collection it names', async () => {
    const { deps, api, record } = setup();
    api.collectionsBody = [
      { id: null, readable_id: 'docs-ab12', name: 'Docs' },
      { id: null, readable_id: 'other-cd34', name: 'Other' },
    ];
    // The API lists the source under the collection asked for; the source's own field names where it is.
    api.sourcesBody['other-cd34'] = [
      { id: 'sc-9', short_name: 'slack', readable_collection_id: 'moved-ef56' },
    ];
    const report = await runReconcile(deps, { collection: 'other-cd34' });
    expect(report.collections).toBe(1);
    expect(api.calls).toEqual(['collections', 'sources other-cd34', 'jobs sc-9']);
    expect(report.sources.map((s) => s.collection_readable_id)).toEqual(['moved-ef56']);
    expect(await record('moved-ef56', 'sc-9')).toMatchObject({
      collection_name: 'Other',
      source_type: 'slack',
    });
  });

  it('asks the API for the configured number of jobs per source', async () => {
    const { deps, api } = setup();
    api.jobsBody['sc-1'] = [
      job('job-3', 'sc-1', 'PENDING', { created_at: '2026-04-23T13:30:00Z' }),
      job('job-2', 'sc-1', 'PENDING', { created_at: '2026-04-23T13:20:00Z' }),
      completedJob,
    ];
    const report = await runReconcile({ ...deps, jobs: 2 });
    expect(report.jobs_checked).toBe(2);
  });
});

describe('reconcileSource and reconcileOnSuspicion: one source, on suspicion', () => {
  const source = {
    source_connection_id: 'sc-1',
    collection_readable_id: 'docs-ab12',
    source_type: 'github',
  };

  it('checks one source by its record: one API call, the same recording path', async () => {
    const { deps, api, record, notifier } = setup();
    api.jobsBody['sc-1'] = [completedJob];
    await deps.registry.registerSource(
      { ...source, collection_name: 'Docs', collection_id: null, source_key: 'sc-1' },
      at('12:00:00'),
    );
    const report = await reconcileSource(deps, (await record())!);
    expect(api.calls).toEqual(['jobs sc-1']);
    expect(report).toMatchObject({ ...source, registered: false, jobs_checked: 1 });
    expect(report?.recovered).toHaveLength(3);
    expect(await record()).toMatchObject({ verified_at: NOW_TEXT, latest_state: 'completed' });
    // The events carry the collection as the record names it (its id unknown here: null).
    expect(
      notifier.events.map((e) => [e.collection_readable_id, e.collection_name, e.collection_id]),
    ).toEqual(Array.from({ length: 3 }, () => ['docs-ab12', 'Docs', null]));
  });

  it('throws when the API cannot answer, so the caller keeps its own decision', async () => {
    const { deps, api, record } = setup();
    await deps.registry.registerSource(
      { ...source, collection_name: 'Docs', collection_id: null, source_key: 'sc-1' },
      at('12:00:00'),
    );
    api.fail('jobs sc-1', 404);
    await expect(reconcileSource(deps, (await record())!)).rejects.toThrow('404 from GET');
  });

  it('does nothing without an API, or for a legacy source without a connection id', async () => {
    const { deps, api, record } = setup();
    await deps.registry.registerSource(
      { ...source, collection_name: 'Docs', collection_id: null, source_key: 'sc-1' },
      at('12:00:00'),
    );
    const listed = (await record())!;
    expect(await reconcileSource({ ...deps, api: undefined }, listed)).toBeUndefined();
    expect(await reconcileSource(deps, { ...listed, source_connection_id: null })).toBeUndefined();
    expect(api.calls).toEqual([]);
  });

  it('a new job while the previous one has no end reconciles the source; otherwise nothing is read', async () => {
    const { deps, api, stores } = setup();
    api.jobsBody['sc-1'] = [completedJob];
    const old = syncEvent({
      event_type: 'sync.running',
      sync_job_id: 'job-1',
      source_connection_id: 'sc-1',
      collection_readable_id: 'docs-ab12',
      timestamp: '2026-04-23T13:01:00Z',
    });
    for (const write of [
      stores.recorder.putAuditEvent(old, { id: 'msg_1', receivedAt: at('13:01:01') }),
      stores.recorder.advanceJob(old),
      stores.recorder.advanceFreshness(old),
    ])
      await write;
    const next = {
      collection_readable_id: 'docs-ab12',
      source_key: 'sc-1',
      sync_job_id: 'job-2',
      state: 'pending' as const,
    };
    expect(await reconcileOnSuspicion({ ...deps, api: undefined }, next)).toBeUndefined();
    expect(await reconcileOnSuspicion(deps, { ...next, state: 'completed' })).toBeUndefined();
    expect(api.calls).toEqual([]);
    const report = await reconcileOnSuspicion(deps, next);
    expect(report?.recovered.map((r) => r.event_type)).toEqual(['sync.pending', 'sync.completed']);
    expect(await reconcileOnSuspicion(deps, { ...next, collection_readable_id: 'unknown' })).toBeUndefined();
  });
});

describe('boundedWalk', () => {
  const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

  it("runs at most `limit` at a time and returns the results in the items' order", async () => {
    let running = 0;
    let most = 0;
    const results = await boundedWalk([5, 1, 4, 2, 3, 0], 3, async (n) => {
      running++;
      most = Math.max(most, running);
      for (let i = 0; i < n; i++) await tick();
      running--;
      return n * 10;
    });
    expect(most).toBe(3);
    expect([...results]).toEqual([50, 10, 40, 20, 30, 0]);
    expect(results.stopped).toBeUndefined();
    expect('stopped' in results).toBe(false);
  });

  it('the first failure starts nothing more and is returned beside the finished results', async () => {
    const started: number[] = [];
    const failure = new Error('429');
    const results = await boundedWalk([0, 1, 2, 3, 4, 5], 2, async (n) => {
      started.push(n);
      if (n === 1) throw failure;
      await tick();
      if (n === 2) throw new Error('second failure');
      return n;
    });
    expect(started).toEqual([0, 1]);
    expect([...results]).toEqual([0]);
    expect(results.stopped).toBe(failure);
  });

  it('an empty list starts no worker', async () => {
    const results = await boundedWalk([], 4, async () => {
      throw new Error('never');
    });
    expect([...results]).toEqual([]);
  });
});
