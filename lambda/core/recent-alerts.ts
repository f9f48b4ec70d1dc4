import {
  type AlertKind,
  DEFAULT_TEAM,
  failureSubject,
  staleAlert,
  stuckAlert,
  subjectLine,
  teamsFor,
} from './alerts';
import type { AlertRoute, FreshnessRule } from './config';
import { type FreshnessRecord, sourceFreshness } from './freshness';
import { requirementMatches } from './pipeline-gate';
import type { PipelineView } from './pipeline-view';
import { fromDate, toMillis } from './timestamp';

/** One line of the board's "recent alerts": what was (or is being) alerted, when, and to whom. */
export interface RecentAlert {
  /** When the alerted condition arose (the failure, the SLA running out, the run ending); null if unknown. */
  readonly at: string | null;
  readonly kind: AlertKind;
  readonly subject: string;
  readonly collection_readable_id: string;
  readonly source_type: string | null;
  readonly teams: readonly string[];
  /**
   * What the record says about it: `sent` (a failure alert settled on its job), `sending` (claimed, not
   * settled yet), `open` (a watchdog episode or a block still in force), `failed run`.
   */
  readonly state: string;
}

/** A failed job's alert bookkeeping, as the job item keeps it (`alerted_teams`, `alert_sent_at`). */
export interface JobAlertFields {
  readonly alerted_teams: readonly string[];
  readonly alert_sent_at: string | null;
}

/**
 * Recent alerts derived from a deployed stack's table, which keeps no copy of what SNS delivered: each
 * source's latest failure with its job's alert fields, the watchdog's open stale and stuck episodes,
 * pipelines blocked now, and failed pipeline runs, leaving out retired sources. Newest first. A recovered episode, an older failure of a
 * source, or an alert to a subscriber that SNS could not deliver are not in the table, so not here.
 */
export function recentAlerts(input: {
  readonly records: readonly FreshnessRecord[];
  /** Each pipeline's view with the team its alerts go to (the config's `team`, else the default). */
  readonly pipelines: readonly (PipelineView & { readonly team?: string })[];
  /** Alert fields of the jobs named by `last_failure_job_id`; a missing job reads as not alerted. */
  readonly failedJobs: ReadonlyMap<string, JobAlertFields>;
  readonly rules: readonly FreshnessRule[];
  readonly routes: readonly Pick<AlertRoute, 'team' | 'match'>[];
  readonly now: Date;
  readonly limit?: number;
}): RecentAlert[] {
  const alerts: RecentAlert[] = [];
  // A retired source alerts no more (the watchdog and the pipeline gate skip it too).
  const records = input.records.filter((r) => r.retired_at === null);
  for (const record of records) {
    const view = sourceFreshness(record, input.rules, input.now);
    const routed = teamsFor(record, input.routes);
    const where = { collection_readable_id: record.collection_readable_id, source_type: record.source_type };
    if (record.last_failure_at !== null && record.last_failure_job_id !== null) {
      const job = input.failedJobs.get(record.last_failure_job_id);
      alerts.push({
        ...where,
        at: record.last_failure_at,
        kind: 'sync.failed',
        subject: failureSubject(record, record.last_error),
        teams: job && job.alerted_teams.length > 0 ? job.alerted_teams : routed,
        state: job?.alert_sent_at ? 'sent' : job && job.alerted_teams.length > 0 ? 'sending' : 'not sent',
      });
    }
    if (record.stale_episode !== null) {
      const since =
        record.last_success_at !== null && view.max_age_seconds !== null
          ? fromDate(new Date(toMillis(record.last_success_at) + view.max_age_seconds * 1000))
          : null;
      alerts.push({
        ...where,
        at: since,
        kind: 'source.stale',
        subject: staleAlert(record, view, record.stale_episode).subject,
        teams: routed,
        state: 'open',
      });
    }
    if (record.stuck_episode !== null) {
      const since = record.running_at ?? record.latest_at ?? '';
      alerts.push({
        ...where,
        at: since || null,
        kind: 'job.stuck',
        subject: stuckAlert(record, view, since, record.stuck_episode).subject,
        teams: routed,
        state: 'open',
      });
    }
  }
  for (const pipeline of input.pipelines) {
    const team = [pipeline.team ?? DEFAULT_TEAM];
    if (pipeline.gate.state === 'blocked') {
      const failed = records
        .filter(
          (r) =>
            r.collection_readable_id === pipeline.collection &&
            r.last_terminal_state === 'failed' &&
            pipeline.requires.some((req) => requirementMatches(req, r)),
        )
        .sort((a, b) => String(b.last_failure_at).localeCompare(String(a.last_failure_at)));
      alerts.push({
        at: failed[0]?.last_failure_at ?? null,
        kind: 'pipeline.blocked',
        subject: subjectLine(
          `Pipeline ${pipeline.name} blocked: ${failed.map((r) => r.source_type).join(', ') || 'a source'} failed in ${pipeline.collection}`,
        ),
        collection_readable_id: pipeline.collection,
        source_type: failed[0]?.source_type ?? null,
        teams: team,
        state: 'open',
      });
    }
    for (const run of pipeline.runs.filter((r) => r.status === 'failed'))
      alerts.push({
        at: run.finished_at ?? run.started_at,
        kind: 'pipeline.failed',
        subject: subjectLine(`Pipeline ${pipeline.name} failed (${run.execution_name})`),
        collection_readable_id: pipeline.collection,
        source_type: null,
        teams: team,
        state: 'failed run',
      });
  }
  // Unknown times last; otherwise newest first (ISO-8601 UTC of one width sorts as time).
  return alerts.sort((a, b) => (b.at ?? '').localeCompare(a.at ?? '')).slice(0, input.limit ?? 50);
}
