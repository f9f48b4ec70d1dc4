import type { AlertRoute } from './config';
import type { SyncEvent } from './events';
import type { SourceFreshness } from './freshness';
import { alertId, snsSubject } from './outbound';
import { matchesPattern } from './patterns';

/** Failures that match no team's rule go to this topic. */
export const DEFAULT_TEAM = 'default';

export type AlertKind =
  'sync.failed' | 'source.stale' | 'job.stuck' | 'source.recovered' | 'pipeline.blocked' | 'pipeline.failed';

/** What a team's subscribers receive: a readable subject line and a JSON body for machines. */
export interface Alert {
  readonly kind: AlertKind;
  /**
   * The same for every attempt to send this alert (retries, redeliveries, a run after a crash), so
   * subscribers drop repeats by it; sent as the `alert_id` message attribute.
   */
  readonly alert_id: string;
  /** Built by `subjectLine`: what SNS accepts as a subject, whatever the error text holds. */
  readonly subject: string;
  readonly collection_readable_id: string;
  readonly source_type: string;
  readonly body: Record<string, unknown>;
}

export interface RoutedSource {
  readonly collection_readable_id: string;
  readonly source_type: string;
}

/** Every team whose rule matches the source; the default team when none does. */
export function teamsFor(
  source: RoutedSource,
  routes: readonly Pick<AlertRoute, 'team' | 'match'>[],
): string[] {
  const teams = routes
    .filter(
      ({ match }) =>
        (match.collections === undefined ||
          match.collections.some((p) => matchesPattern(p, source.collection_readable_id))) &&
        (match.sourceTypes === undefined || match.sourceTypes.includes(source.source_type)),
    )
    .map((route) => route.team);
  return teams.length > 0 ? teams : [DEFAULT_TEAM];
}

/** A subject line SNS accepts (`core/outbound.ts`): error text may hold line breaks and colour codes. */
export function subjectLine(text: string): string {
  return snsSubject(text);
}

function sourceName(source: RoutedSource): string {
  return `${source.collection_readable_id} / ${source.source_type || 'unknown source'}`;
}

/** The subject of a failure alert; the board shows the same line for a failure it reads from the table. */
export function failureSubject(source: RoutedSource, error: string | null): string {
  return subjectLine(`Sync failed: ${sourceName(source)}: ${error ?? 'no error message'}`);
}

export function failureAlert(event: SyncEvent, freshness: SourceFreshness | null): Alert {
  return {
    kind: 'sync.failed',
    alert_id: alertId('sync.failed', event.sync_job_id),
    subject: failureSubject(event, event.error),
    collection_readable_id: event.collection_readable_id,
    source_type: event.source_type,
    body: { kind: 'sync.failed', event, freshness },
  };
}

/** A watchdog alert is about one episode of one source: its id is made of the source and the episode. */
export interface EpisodeSource extends RoutedSource {
  readonly source_key: string;
}

export function staleAlert(source: EpisodeSource, freshness: SourceFreshness, episode: string): Alert {
  const since =
    freshness.last_success_at === null ? 'never synced' : `last success ${freshness.last_success_at}`;
  return {
    kind: 'source.stale',
    alert_id: alertId('source.stale', source.collection_readable_id, source.source_key, episode),
    subject: subjectLine(`Stale source: ${sourceName(source)} (${since})`),
    collection_readable_id: source.collection_readable_id,
    source_type: source.source_type,
    body: { kind: 'source.stale', collection_readable_id: source.collection_readable_id, freshness },
  };
}

export function stuckAlert(
  source: EpisodeSource,
  freshness: SourceFreshness,
  activeSince: string,
  jobId: string,
): Alert {
  return {
    kind: 'job.stuck',
    alert_id: alertId('job.stuck', source.collection_readable_id, source.source_key, jobId),
    subject: subjectLine(`Stuck sync job: ${sourceName(source)} active since ${activeSince}`),
    collection_readable_id: source.collection_readable_id,
    source_type: source.source_type,
    body: {
      kind: 'job.stuck',
      collection_readable_id: source.collection_readable_id,
      active_since: activeSince,
      freshness,
    },
  };
}

export function recoveredAlert(source: EpisodeSource, freshness: SourceFreshness, episode: string): Alert {
  return {
    kind: 'source.recovered',
    alert_id: alertId('source.recovered', source.collection_readable_id, source.source_key, episode),
    subject: subjectLine(`Recovered: ${sourceName(source)} is fresh again`),
    collection_readable_id: source.collection_readable_id,
    source_type: source.source_type,
    body: { kind: 'source.recovered', collection_readable_id: source.collection_readable_id, freshness },
  };
}
