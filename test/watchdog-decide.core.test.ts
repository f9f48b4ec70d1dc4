import { memoryStores } from '../lambda/adapters/store/stores';
import { TableSourceRegistry } from '../lambda/adapters/store/source-registry';
import type { FreshnessRecord, SourceFreshness } from '../lambda/core/freshness';
import { sourceFreshness } from '../lambda/core/freshness';
import { noMetrics } from '../lambda/core/metrics';
import type { AlertLedger, Log } from '../lambda/core/ports';
import { decide, runWatchdog, type WatchdogDeps } from '../lambda/core/watchdog';
import { RecordingNotifier } from '../harness/recording-notifier';
import { settingsOf, sourceRecord, syncEvent } from './helpers/core-fixtures';

/**
 * The watchdog's decision for one source (pure), and the parts of a run the scenario tests in
 * watchdog.core.test.ts leave open: retired sources, when the reconciler is asked, claims lost to another run.
 */
const at = (time: string) => `2026-04-23T${time}.000000Z`;
const NOW = new Date(at('14:00:00'));
const HOUR = 3600;
const rules = settingsOf({ freshness: [{ collection: '*', maxAge: '1h' }] }).freshness;

function decideFor(
  overrides: Partial<FreshnessRecord>,
  view: Partial<SourceFreshness> = {},
  stuckAfter = 2 * HOUR,
) {
  const record = sourceRecord(overrides);
  return decide(record, { ...sourceFreshness(record, rules, NOW), ...view }, NOW.getTime(), stuckAfter);
}

const succeeded = { latest_job_id: 'j1', latest_state: 'completed' as const, latest_at: at('13:30:00') };

describe('decide', () => {
  it('a fresh source with nothing open needs nothing', () => {
    expect(decideFor({ ...succeeded, last_success_at: at('13:30:00') })).toEqual({
      pastSla: false,
      stuck: false,
    });
  });

  it('a source past its SLA opens the episode named by its last success, once', () => {
    const stale = { ...succeeded, last_success_at: at('12:00:00') };
    expect(decideFor(stale)).toEqual({ pastSla: true, stuck: false, openStale: at('12:00:00') });
    expect(decideFor({ ...stale, stale_episode: at('12:00:00') })).toEqual({ pastSla: true, stuck: false });
    // An older episode is closed by nothing but a success: a newer success aging out is a new episode.
    expect(decideFor({ ...stale, stale_episode: at('08:00:00') }).openStale).toBe(at('12:00:00'));
  });

  it('a source back within its SLA recovers the open episode, and only then', () => {
    expect(
      decideFor({ ...succeeded, last_success_at: at('13:30:00'), stale_episode: at('12:00:00') }),
    ).toEqual({ pastSla: false, stuck: false, recover: at('12:00:00') });
  });

  it('a job active longer than stuckAfter opens a stuck episode named by the job, since it started running', () => {
    const running = {
      latest_job_id: 'j2',
      latest_state: 'running' as const,
      latest_at: at('11:00:00'),
      running_job_id: 'j2',
      running_at: at('11:00:00'),
      last_success_at: at('13:30:00'),
    };
    expect(decideFor(running)).toEqual({
      pastSla: false,
      stuck: true,
      openStuck: { job: 'j2', since: at('11:00:00') },
    });
    expect(decideFor({ ...running, stuck_episode: 'j2' })).toEqual({ pastSla: false, stuck: true });
    expect(decideFor(running, {}, 3 * HOUR)).toEqual({ pastSla: false, stuck: false });
    // Exactly stuckAfter is not yet stuck.
    expect(decideFor(running, {}, 3 * HOUR - 1).stuck).toBe(true);
    expect(decideFor(running, {}, 3 * HOUR).stuck).toBe(false);
  });

  it('a stuck job is timed from when it started running, else from its latest event', () => {
    const cancelling = {
      latest_job_id: 'j2',
      latest_state: 'cancelling' as const,
      latest_at: at('13:00:00'),
      last_success_at: at('13:30:00'),
    };
    expect(decideFor(cancelling, { running_since: at('10:00:00') })).toMatchObject({
      openStuck: { job: 'j2', since: at('10:00:00') },
    });
    expect(decideFor(cancelling, { running_since: null }, HOUR / 2)).toMatchObject({
      openStuck: { job: 'j2', since: at('13:00:00') },
    });
  });

  it('a syncing status counts as active even when the record names no active state', () => {
    const finished = { ...succeeded, last_success_at: at('13:30:00') };
    expect(decideFor(finished, { status: 'syncing', running_since: at('10:00:00') })).toMatchObject({
      stuck: true,
      openStuck: { job: 'j1', since: at('10:00:00') },
    });
    expect(decideFor(finished, { status: 'fresh', running_since: at('10:00:00') }).stuck).toBe(false);
  });

  it('a source without a job, or without a time to count from, is never stuck', () => {
    expect(decideFor({ latest_state: 'running', latest_at: at('09:00:00'), latest_job_id: null }).stuck).toBe(
      false,
    );
    expect(decideFor({ latest_state: 'running', latest_at: null, latest_job_id: 'j1' }).stuck).toBe(false);
  });

  it('a job no longer stuck closes its episode; nothing open, nothing to close', () => {
    const done = { ...succeeded, last_success_at: at('13:30:00') };
    expect(decideFor({ ...done, stuck_episode: 'j0' })).toEqual({
      pastSla: false,
      stuck: false,
      closeStuck: 'j0',
    });
    expect(decideFor(done).closeStuck).toBeUndefined();
  });
});

describe('runWatchdog, beyond the scenarios', () => {
  function setup(ledger?: (real: AlertLedger) => AlertLedger) {
    const stores = memoryStores({ retentionDays: 30 });
    const notifier = new RecordingNotifier();
    const logged: [string, Record<string, unknown> | undefined][] = [];
    const log: Log = {
      info: (m, f) => void logged.push([m, f]),
      warn: (m, f) => void logged.push([m, f]),
      error: (m, f) => void logged.push([m, f]),
    };
    const checked: string[] = [];
    const deps: WatchdogDeps = {
      freshness: stores.freshness,
      ledger: ledger ? ledger(stores.ledger) : stores.ledger,
      notifier,
      routes: [{ team: 'eng', match: {} }],
      rules,
      stuckAfterSeconds: 2 * HOUR,
      now: () => NOW,
      log,
      metrics: noMetrics,
      verify: async (record) => void checked.push(record.source_key),
    };
    const complete = (source: string, time: string) =>
      stores.recorder.advanceFreshness(
        syncEvent({
          event_type: 'sync.completed',
          source_connection_id: source,
          sync_job_id: `${source}-j`,
          timestamp: at(time),
        }),
      );
    return { stores, notifier, logged, checked, deps, complete };
  }

  it('a retired source is not checked, asked about or alerted', async () => {
    const w = setup();
    await w.complete('sc-old', '10:00:00');
    const [record] = await w.stores.freshness.allFreshness();
    await new TableSourceRegistry(w.stores.table).retireSource(
      record!.collection_readable_id,
      'sc-old',
      at('11:00:00'),
    );
    expect(await runWatchdog(w.deps)).toMatchObject({ checked: 0, pastSla: 0, stale: 0 });
    expect(w.checked).toEqual([]);
    expect(w.notifier.alerts).toEqual([]);
  });

  it('asks the reconciler only about a source it is about to alert', async () => {
    const w = setup();
    await w.complete('sc-fresh', '13:30:00');
    await w.complete('sc-stale', '12:00:00');
    expect(await runWatchdog(w.deps)).toMatchObject({ checked: 2, stale: 1 });
    expect(w.checked).toEqual(['sc-stale']);
    await runWatchdog(w.deps);
    expect(w.checked).toEqual(['sc-stale']);
  });

  it('an episode another run claimed first is not alerted or counted again, and nothing needless is closed', async () => {
    const closes: string[] = [];
    const w = setup((real) =>
      Object.assign(Object.create(real) as AlertLedger, {
        openEpisode: async () => false,
        closeEpisode: async (...args: unknown[]) => {
          closes.push(String(args[3]));
          return true;
        },
      }),
    );
    await w.complete('sc-stale', '12:00:00');
    expect(await runWatchdog(w.deps)).toMatchObject({ pastSla: 1, stale: 0 });
    expect(w.notifier.alerts).toEqual([]);
    expect(closes).toEqual([]);
  });

  it("the run's log line counts the sources it failed to alert", async () => {
    const w = setup();
    await w.complete('sc-a', '12:00:00');
    await w.complete('sc-b', '12:00:00');
    w.notifier.failing.add('eng');
    await expect(runWatchdog(w.deps)).rejects.toThrow('watchdog failed for 2 source(s)');
    expect(w.logged.find(([m]) => m === 'watchdog run')?.[1]).toMatchObject({
      checked: 2,
      failed: 2,
      stale: 0,
    });
  });

  it('the oldest success age counts only sources with an SLA and a success', async () => {
    const w = setup();
    const seconds: number[] = [];
    w.deps = {
      ...w.deps,
      metrics: { count: () => {}, seconds: (_name, value) => void seconds.push(value) },
    };
    await w.complete('sc-a', '13:00:00');
    await w.stores.recorder.advanceFreshness(
      syncEvent({
        event_type: 'sync.running',
        source_connection_id: 'sc-never',
        sync_job_id: 'n1',
        timestamp: at('13:59:00'),
      }),
    );
    await runWatchdog(w.deps);
    expect(seconds).toEqual([HOUR]);
  });
});
