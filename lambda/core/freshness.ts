import type { FreshnessRule } from './config';
import type { EventOrigin } from './events';
import { isActive, type JobState } from './job-state';
import { matchesPattern } from './patterns';
import { toMillis } from './timestamp';

/** What the table keeps per source (one item, see `table-schema.ts`), as the store reads it back. */
export interface FreshnessRecord {
  readonly collection_readable_id: string;
  readonly collection_name: string;
  readonly source_key: string;
  readonly source_connection_id: string | null;
  readonly source_type: string;
  readonly latest_job_id: string | null;
  readonly latest_state: JobState | null;
  readonly latest_at: string | null;
  readonly running_job_id: string | null;
  readonly running_at: string | null;
  readonly last_terminal_state: JobState | null;
  readonly last_success_at: string | null;
  readonly last_success_job_id: string | null;
  readonly last_failure_at: string | null;
  readonly last_failure_job_id: string | null;
  readonly last_error: string | null;
  /** `<timestamp>|<job id>` of failures not yet cleared by a newer success. */
  readonly failure_log: readonly string[];
  /** The watchdog's open episodes: the stale one (keyed by the last success it aged out) and the stuck job. */
  readonly stale_episode: string | null;
  readonly stuck_episode: string | null;
  /** How the last success became known: a webhook, or the reconciler asking Airweave's API. */
  readonly last_success_origin: EventOrigin | null;
  /** When the source was first listed without an event (`source_connection.created`, the reconciler). */
  readonly registered_at: string | null;
  /** When the reconciler last confirmed the source's latest job against Airweave's API. */
  readonly verified_at: string | null;
  /** When Airweave said the source (or its collection) was deleted: no alerts or blocks, history kept. */
  readonly retired_at: string | null;
}

export type FreshnessStatus = 'fresh' | 'syncing' | 'failed' | 'stale' | 'unknown';

/** One source in the `GET /freshness` contract (docs/DESIGN.md section 6). */
export interface SourceFreshness {
  readonly source_connection_id: string | null;
  readonly source_type: string;
  readonly status: FreshnessStatus;
  readonly last_success_at: string | null;
  readonly last_failure_at: string | null;
  readonly last_error: string | null;
  /** Seconds since the last success; null when there never was one. */
  readonly age_seconds: number | null;
  readonly last_job_id: string | null;
  readonly running_since: string | null;
  readonly consecutive_failures: number;
  /** The strictest matching freshness SLA, in seconds; null when no rule applies. */
  readonly max_age_seconds: number | null;
  /** The last time the reconciler confirmed this source's latest job with Airweave's API. */
  readonly verified_at: string | null;
  readonly last_success_origin: EventOrigin | null;
  /** Set on retired sources, which `/freshness` lists only with `?all=true`. */
  readonly retired_at: string | null;
}

export interface CollectionFreshness {
  readonly collection_readable_id: string;
  readonly collection_name: string;
  readonly stale: boolean;
  readonly sources: readonly SourceFreshness[];
}

/** A source's identity with no register moved: what its record holds before its first event. */
export function emptyRecord(
  identity: Pick<
    FreshnessRecord,
    'collection_readable_id' | 'collection_name' | 'source_key' | 'source_connection_id' | 'source_type'
  >,
): FreshnessRecord {
  return {
    collection_readable_id: identity.collection_readable_id,
    collection_name: identity.collection_name,
    source_key: identity.source_key,
    source_connection_id: identity.source_connection_id,
    source_type: identity.source_type,
    latest_job_id: null,
    latest_state: null,
    latest_at: null,
    running_job_id: null,
    running_at: null,
    last_terminal_state: null,
    last_success_at: null,
    last_success_job_id: null,
    last_failure_at: null,
    last_failure_job_id: null,
    last_error: null,
    failure_log: [],
    stale_episode: null,
    stuck_episode: null,
    last_success_origin: null,
    registered_at: null,
    verified_at: null,
    retired_at: null,
  };
}

/** The strictest `maxAge` among the rules that match a source, in seconds. */
export function maxAgeFor(rules: readonly FreshnessRule[], record: FreshnessRecord): number | null {
  const ages = rules
    .filter(
      (rule) =>
        matchesPattern(rule.collection, record.collection_readable_id) &&
        (rule.sourceType === undefined || rule.sourceType === record.source_type) &&
        (rule.sourceConnectionId === undefined || rule.sourceConnectionId === record.source_connection_id),
    )
    .map((rule) => rule.maxAge);
  return ages.length > 0 ? Math.min(...ages) : null;
}

/** Failures of distinct jobs newer than the last success. */
export function consecutiveFailures(record: FreshnessRecord): number {
  const since = record.last_success_at ?? '';
  const jobs = new Set(
    record.failure_log
      .map((entry) => entry.split('|'))
      .filter(([at]) => at !== undefined && at > since)
      .map(([, job]) => job),
  );
  return jobs.size;
}

/**
 * Whether the source is past its SLA. A source never synced is past it, unless it was listed (created in
 * Airweave, or found by the reconciler) and has had no job at all for less than the SLA: it is awaiting its
 * first sync, not stale.
 */
export function pastSla(record: FreshnessRecord, maxAgeSeconds: number | null, nowMs: number): boolean {
  if (maxAgeSeconds === null) return false;
  const since = record.last_success_at ?? (record.latest_state === null ? record.registered_at : null);
  return since === null || nowMs - toMillis(since) > maxAgeSeconds * 1000;
}

/** docs/DESIGN.md section 6's status rule, first match wins. */
export function statusOf(
  record: FreshnessRecord,
  maxAgeSeconds: number | null,
  nowMs: number,
): FreshnessStatus {
  if (record.last_terminal_state === 'failed') return 'failed';
  if (pastSla(record, maxAgeSeconds, nowMs)) return 'stale';
  if (isActive(record.latest_state)) return 'syncing';
  if (record.last_success_at !== null) return 'fresh';
  return 'unknown';
}

export function sourceFreshness(
  record: FreshnessRecord,
  rules: readonly FreshnessRule[],
  now: Date,
): SourceFreshness {
  const nowMs = now.getTime();
  const maxAge = maxAgeFor(rules, record);
  const active = isActive(record.latest_state);
  return {
    source_connection_id: record.source_connection_id,
    source_type: record.source_type,
    status: statusOf(record, maxAge, nowMs),
    last_success_at: record.last_success_at,
    last_failure_at: record.last_failure_at,
    last_error: record.last_error,
    age_seconds:
      record.last_success_at === null
        ? null
        : Math.max(0, Math.floor((nowMs - toMillis(record.last_success_at)) / 1000)),
    last_job_id: record.latest_job_id,
    running_since: active && record.running_job_id === record.latest_job_id ? record.running_at : null,
    consecutive_failures: consecutiveFailures(record),
    max_age_seconds: maxAge,
    verified_at: record.verified_at,
    last_success_origin: record.last_success_origin,
    retired_at: record.retired_at,
  };
}

/** Retired sources (deleted in Airweave) are history: listed only when asked for (`?all=true`, `--all`). */
export function listed(records: readonly FreshnessRecord[], all = false): FreshnessRecord[] {
  return all ? [...records] : records.filter((record) => record.retired_at === null);
}

/** Groups source records by collection into the `GET /freshness` objects, sorted for stable output. */
export function collectionsFreshness(
  records: readonly FreshnessRecord[],
  rules: readonly FreshnessRule[],
  now: Date,
): CollectionFreshness[] {
  const byCollection = new Map<string, FreshnessRecord[]>();
  for (const record of records) {
    const list = byCollection.get(record.collection_readable_id) ?? [];
    list.push(record);
    byCollection.set(record.collection_readable_id, list);
  }
  return [...byCollection.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([collection, list]) => collectionFreshness(collection, list, rules, now));
}

export function collectionFreshness(
  collection: string,
  records: readonly FreshnessRecord[],
  rules: readonly FreshnessRule[],
  now: Date,
): CollectionFreshness {
  const sources = [...records]
    .sort((a, b) => a.source_type.localeCompare(b.source_type) || a.source_key.localeCompare(b.source_key))
    .map((record) => sourceFreshness(record, rules, now));
  return {
    collection_readable_id: collection,
    collection_name: records.find((r) => r.collection_name)?.collection_name ?? '',
    stale: sources.some((s) => s.status === 'failed' || s.status === 'stale'),
    sources,
  };
}
