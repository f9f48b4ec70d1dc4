import { type Alert, recoveredAlert, staleAlert, stuckAlert, teamsFor } from './alerts';
import type { AlertRoute, FreshnessRule } from './config';
import {
  type FreshnessRecord,
  pastSla as isPastSla,
  type SourceFreshness,
  sourceFreshness,
} from './freshness';
import { isActive } from './job-state';
import { METRIC, type MetricsSink } from './metrics';
import type { AlertLedger, EpisodeKind, FreshnessReader, Log, Notifier } from './ports';
import { toMillis } from './timestamp';

export interface WatchdogDeps {
  readonly freshness: FreshnessReader;
  readonly ledger: AlertLedger;
  readonly notifier: Notifier;
  readonly routes: readonly Pick<AlertRoute, 'team' | 'match'>[];
  readonly rules: readonly FreshnessRule[];
  /** A job active longer than this is reported stuck (Airweave sends nothing for jobs it cleans up). */
  readonly stuckAfterSeconds: number;
  readonly now: () => Date;
  readonly log: Log;
  readonly metrics: MetricsSink;
  /**
   * Asks Airweave's API about one source and records what the webhooks missed (the reconciler), before a
   * stale or stuck alert goes out: a job whose completion was lost is then no false alert (docs/DESIGN.md
   * section 9).
   * @default - no check: reconciliation is not configured
   */
  readonly verify?: (record: FreshnessRecord) => Promise<void>;
}

export interface WatchdogReport {
  readonly checked: number;
  /** Sources past their SLA and jobs active too long right now, whether or not already alerted. */
  readonly pastSla: number;
  readonly active: number;
  readonly stale: number;
  readonly stuck: number;
  readonly recovered: number;
  readonly failed: number;
}

/** What the watchdog must do for one source, decided from its record alone (pure). */
export interface Decision {
  readonly pastSla: boolean;
  readonly stuck: boolean;
  readonly openStale?: string;
  readonly recover?: string;
  readonly openStuck?: { readonly job: string; readonly since: string };
  readonly closeStuck?: string;
}

/**
 * Pure decision for one source. A stale episode is named by the last success that aged out (or `never`),
 * so one alert per episode and a new episode only after a newer success aged out again; a stuck episode is
 * named by the job. Sources without a freshness SLA are never reported stale.
 */
export function decide(
  record: FreshnessRecord,
  view: SourceFreshness,
  nowMs: number,
  stuckAfterSeconds: number,
): Decision {
  const pastSla = isPastSla(record, view.max_age_seconds, nowMs);
  const activeSince =
    view.status === 'syncing' || isActive(record.latest_state)
      ? (view.running_since ?? record.latest_at)
      : null;
  const stuckJob = record.latest_job_id;
  const stuck =
    // Stryker disable next-line ConditionalExpression: without the null check toMillis(null) is NaN, and no NaN is over the bound
    activeSince !== null && stuckJob !== null && nowMs - toMillis(activeSince) > stuckAfterSeconds * 1000;
  const decision: { -readonly [K in keyof Decision]: Decision[K] } = { pastSla, stuck };
  const staleEpisode = record.last_success_at ?? 'never';
  if (pastSla && record.stale_episode !== staleEpisode) decision.openStale = staleEpisode;
  if (!pastSla && record.stale_episode !== null) decision.recover = record.stale_episode;

  if (stuck && record.stuck_episode !== stuckJob) decision.openStuck = { job: stuckJob, since: activeSince };
  if (!stuck && record.stuck_episode !== null) decision.closeStuck = record.stuck_episode;
  return decision;
}

/**
 * One watchdog run over every source. Each episode is claimed with a conditional write before its alert
 * is published and released if publishing fails, so concurrent or overlapping runs alert once and the
 * next run retries what failed. Throws after the run if any source failed, so the failure is visible.
 */
export async function runWatchdog(deps: WatchdogDeps): Promise<WatchdogReport> {
  const now = deps.now();
  // Retired sources (deleted in Airweave) are history: no more stale or stuck alerts for them.
  const records = (await deps.freshness.allFreshness()).filter((r) => r.retired_at === null);
  const counts = {
    checked: records.length,
    pastSla: 0,
    active: 0,
    stale: 0,
    stuck: 0,
    recovered: 0,
    failed: 0,
  };
  let oldestSuccessAge = 0;
  const errors: unknown[] = [];

  for (const listed of records) {
    let record = listed;
    let view = sourceFreshness(record, deps.rules, now);
    let decision = decide(record, view, now.getTime(), deps.stuckAfterSeconds);
    if ((decision.openStale || decision.openStuck) && deps.verify) {
      // Suspicion: before alerting, ask Airweave what the webhooks may have missed, then decide again on the
      // record as it now stands. A failed check leaves the first decision: better a possibly false alert
      // than a silent one.
      try {
        await deps.verify(record);
        record = (await deps.ledger.sourceRecord(record.collection_readable_id, record.source_key)) ?? record;
        view = sourceFreshness(record, deps.rules, now);
        decision = decide(record, view, now.getTime(), deps.stuckAfterSeconds);
      } catch (error) {
        deps.log.warn('watchdog could not verify the source with Airweave', {
          collection: record.collection_readable_id,
          source_key: record.source_key,
          error: (error as Error).message,
        });
      }
    }
    if (decision.pastSla) counts.pastSla++;
    if (decision.stuck) counts.active++;
    // A source with an SLA that never succeeded has no age (it is reported stale instead).
    if (view.max_age_seconds !== null) oldestSuccessAge = Math.max(oldestSuccessAge, view.age_seconds ?? 0);
    const { collection_readable_id: collection, source_key: source } = record;
    const publish = (alert: Alert) =>
      Promise.all(teamsFor(record, deps.routes).map((team) => deps.notifier.publishAlert(team, alert)));
    /** Claim, publish, and undo the claim when publishing fails. */
    const episode = async (claim: () => Promise<boolean>, undo: () => Promise<boolean>, alert: Alert) => {
      if (!(await claim())) return false;
      try {
        await publish(alert);
        return true;
      } catch (error) {
        await undo();
        throw error;
      }
    };
    const open = (kind: EpisodeKind, id: string) => () =>
      deps.ledger.openEpisode(collection, source, kind, id);
    const close = (kind: EpisodeKind, id: string) => () =>
      deps.ledger.closeEpisode(collection, source, kind, id);
    try {
      if (
        decision.openStale &&
        (await episode(
          open('stale', decision.openStale),
          close('stale', decision.openStale),
          staleAlert(record, view, decision.openStale),
        ))
      )
        counts.stale++;
      if (
        decision.recover &&
        (await episode(
          close('stale', decision.recover),
          open('stale', decision.recover),
          recoveredAlert(record, view, decision.recover),
        ))
      )
        counts.recovered++;
      if (decision.openStuck) {
        const { job, since } = decision.openStuck;
        if (await episode(open('stuck', job), close('stuck', job), stuckAlert(record, view, since, job)))
          counts.stuck++;
      }
      if (decision.closeStuck) await close('stuck', decision.closeStuck)();
    } catch (error) {
      counts.failed++;
      errors.push(error);
      deps.log.error('watchdog could not alert', {
        collection,
        source_key: source,
        error: (error as Error).message,
      });
    }
  }
  deps.log.info('watchdog run', { ...counts, oldest_success_age_seconds: oldestSuccessAge });
  deps.metrics.count(METRIC.staleSources, {}, counts.pastSla);
  deps.metrics.count(METRIC.stuckJobs, {}, counts.active);
  deps.metrics.seconds(METRIC.oldestSuccessAge, oldestSuccessAge);
  if (errors.length > 0) throw new AggregateError(errors, `watchdog failed for ${errors.length} source(s)`);
  return counts;
}
