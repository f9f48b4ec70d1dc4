import { memoryStores } from '../lambda/adapters/store/stores';
import { compose } from '../lambda/compose';
import type { AlertRoute } from '../lambda/core/config';
import type { FreshnessRecord } from '../lambda/core/freshness';
import { METRIC, type MetricsSink } from '../lambda/core/metrics';
import type { Log } from '../lambda/core/ports';
import { runWatchdog } from '../lambda/core/watchdog';
import { settingsOf, syncEvent } from './helpers/core-fixtures';
import { RecordingNotifier } from '../harness/recording-notifier';

/** The watchdog over the in-memory stores, with a clock the test moves. */
const at = (time: string) => `2026-04-23T${time}.000000Z`;
const COLLECTION = 'engineering-context-ab123';

function setup(options: { verify?: (record: FreshnessRecord) => Promise<void>; routes?: unknown[] } = {}) {
  const settings = settingsOf({
    freshness: [{ collection: COLLECTION, sourceType: 'github', maxAge: '1h' }],
    alerts: options.routes ?? [{ team: 'eng', match: { sourceTypes: ['github', 'slack'] } }],
    watchdog: { every: '5m', stuckAfter: '2h' },
  });
  const stores = memoryStores({ retentionDays: 400 });
  const notifier = new RecordingNotifier();
  const clock = { now: new Date(at('14:00:00')) };
  const metrics: Array<[string, number]> = [];
  const sink: MetricsSink = {
    count: (name, _dimensions, value = 1) => void metrics.push([name, value]),
    seconds: (name, value) => void metrics.push([name, value]),
  };
  const logged: Array<[string, Record<string, unknown> | undefined]> = [];
  const log: Log = {
    info: (m, f) => void logged.push([m, f]),
    warn: (m, f) => void logged.push([m, f]),
    error: (m, f) => void logged.push([m, f]),
  };
  const deps = {
    ...compose(
      {
        stores,
        settings: {
          retentionDays: 400,
          freshness: settings.freshness,
          alerts: settings.alerts.map(
            ({ team, match }) => ({ team, match }) as Pick<AlertRoute, 'team' | 'match'>,
          ),
          pipelines: [],
          watchdog: settings.watchdog,
        },
        log,
        metrics: sink,
        now: () => clock.now,
      },
      { notifier },
    ),
    ...(options.verify && { verify: options.verify }),
  };
  const record = (type: string, job: string, time: string, source = 'github') =>
    stores.recorder.advanceFreshness(
      syncEvent({
        event_type: type,
        sync_job_id: job,
        timestamp: at(time),
        source_type: source,
        source_connection_id: `conn-${source}`,
      }),
    );
  return { deps, stores, notifier, clock, metrics, logged, record, run: () => runWatchdog(deps) };
}

describe('watchdog', () => {
  it('alerts a source once per stale episode, and once when it recovers', async () => {
    const w = setup();
    await w.record('sync.completed', 'j1', '13:30:00');
    expect(await w.run()).toMatchObject({ checked: 1, pastSla: 0, stale: 0 });
    w.clock.now = new Date(at('14:31:00'));
    expect(await w.run()).toMatchObject({ pastSla: 1, stale: 1 });
    expect(await w.run()).toMatchObject({ pastSla: 1, stale: 0 });
    const [stale] = w.notifier.alertsOf('source.stale');
    expect(stale).toMatchObject({
      team: 'eng',
      alert: {
        subject: expect.stringContaining(`last success ${at('13:30:00')}`),
        body: { kind: 'source.stale', collection_readable_id: COLLECTION, freshness: { status: 'stale' } },
      },
    });
    await w.record('sync.completed', 'j2', '14:30:00');
    expect(await w.run()).toMatchObject({ pastSla: 0, recovered: 1 });
    expect(await w.run()).toMatchObject({ recovered: 0 });
    expect(w.notifier.alertsOf('source.recovered').map((a) => a.alert.subject)).toEqual([
      expect.stringContaining('is fresh again'),
    ]);
    // A newer success that ages out is a new episode.
    w.clock.now = new Date(at('15:31:00'));
    expect(await w.run()).toMatchObject({ stale: 1 });
    expect(w.notifier.alertsOf('source.stale')).toHaveLength(2);
  });

  it('a source that never synced, with an SLA, is stale ("never synced"); one without an SLA never is', async () => {
    const w = setup();
    await w.record('sync.running', 'j1', '13:59:00');
    await w.record('sync.running', 's1', '13:59:00', 'slack');
    expect(await w.run()).toMatchObject({ checked: 2, pastSla: 1, stale: 1 });
    expect(w.notifier.alertsOf('source.stale').map((a) => [a.alert.source_type, a.alert.subject])).toEqual([
      ['github', expect.stringContaining('never synced')],
    ]);
  });

  it('alerts a job active longer than stuckAfter once, and closes the episode when it ends', async () => {
    const w = setup();
    await w.record('sync.running', 's1', '12:00:00', 'slack');
    w.clock.now = new Date(at('14:00:00'));
    expect(await w.run()).toMatchObject({ active: 0, stuck: 0 });
    w.clock.now = new Date(at('14:00:01'));
    expect(await w.run()).toMatchObject({ active: 1, stuck: 1 });
    expect(await w.run()).toMatchObject({ active: 1, stuck: 0 });
    expect(w.notifier.alertsOf('job.stuck')).toEqual([
      {
        team: 'eng',
        alert: expect.objectContaining({
          subject: expect.stringContaining(`active since ${at('12:00:00')}`),
          body: expect.objectContaining({ kind: 'job.stuck', active_since: at('12:00:00') }),
        }),
      },
    ]);
    await w.record('sync.completed', 's1', '14:00:00', 'slack');
    expect(await w.run()).toMatchObject({ active: 0, stuck: 0 });
    // The same job running again later would be a new episode only after the old one closed.
    const records = await w.stores.freshness.allFreshness();
    expect(records[0]!.stuck_episode).toBeNull();
  });

  it('a new job stuck after an old one is its own episode', async () => {
    const w = setup();
    await w.record('sync.running', 's1', '10:00:00', 'slack');
    expect(await w.run()).toMatchObject({ stuck: 1 });
    await w.record('sync.running', 's2', '11:00:00', 'slack');
    expect(await w.run()).toMatchObject({ stuck: 1 });
    expect(w.notifier.alertsOf('job.stuck').map((a) => a.alert.alert_id)).toHaveLength(2);
  });

  it('asks the reconciler before alerting and decides again on what it found', async () => {
    const verified: string[] = [];
    const w: ReturnType<typeof setup> = setup({
      verify: async (record) => {
        verified.push(record.source_key);
        await w.record('sync.completed', 'j2', '13:50:00');
      },
    });
    await w.record('sync.completed', 'j1', '12:00:00');
    expect(await w.run()).toMatchObject({ pastSla: 0, stale: 0 });
    expect(verified).toEqual(['conn-github']);
    expect(w.notifier.alerts).toEqual([]);
  });

  it('a failed check with the reconciler still alerts, and says why in the log', async () => {
    const w = setup({ verify: async () => Promise.reject(new Error('API down')) });
    await w.record('sync.completed', 'j1', '12:00:00');
    expect(await w.run()).toMatchObject({ stale: 1 });
    expect(w.logged).toContainEqual([
      'watchdog could not verify the source with Airweave',
      expect.objectContaining({ error: 'API down', source_key: 'conn-github' }),
    ]);
  });

  it('a failed publish releases the claim, fails the run, and the next run alerts', async () => {
    const w = setup();
    await w.record('sync.completed', 'j1', '12:00:00');
    w.notifier.failing.add('eng');
    await expect(w.run()).rejects.toThrow('watchdog failed for 1 source(s)');
    expect(w.logged).toContainEqual([
      'watchdog could not alert',
      expect.objectContaining({ collection: COLLECTION }),
    ]);
    w.notifier.failing.clear();
    expect(await w.run()).toMatchObject({ stale: 1, failed: 0 });
  });

  it('a failed recovery alert keeps the episode open for the next run', async () => {
    const w = setup();
    await w.record('sync.completed', 'j1', '12:00:00');
    await w.run();
    await w.record('sync.completed', 'j2', '13:59:00');
    w.notifier.failing.add('eng');
    await expect(w.run()).rejects.toThrow();
    w.notifier.failing.clear();
    expect(await w.run()).toMatchObject({ recovered: 1 });
  });

  it('a failed stuck alert is retried by the next run', async () => {
    const w = setup();
    await w.record('sync.running', 's1', '10:00:00', 'slack');
    w.notifier.failing.add('eng');
    await expect(w.run()).rejects.toThrow();
    w.notifier.failing.clear();
    expect(await w.run()).toMatchObject({ stuck: 1 });
  });

  it('counts past-SLA sources, active jobs and the oldest success age (of sources with an SLA) in its metrics', async () => {
    const w = setup();
    await w.record('sync.completed', 'j1', '12:00:00');
    await w.record('sync.completed', 's1', '10:00:00', 'slack');
    await w.record('sync.running', 's2', '11:00:00', 'slack');
    await w.run();
    expect(w.metrics).toEqual([
      [METRIC.staleSources, 1],
      [METRIC.stuckJobs, 1],
      [METRIC.oldestSuccessAge, 7200],
    ]);
    expect(w.logged).toContainEqual([
      'watchdog run',
      expect.objectContaining({ oldest_success_age_seconds: 7200, checked: 2 }),
    ]);
  });
});
