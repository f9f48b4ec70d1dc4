import type { FreshnessRule } from './config';
import { BadRequestError, NotFoundError } from './errors';
import type { SyncEvent } from './events';
import { emptyRecord, type FreshnessRecord, type SourceFreshness, sourceFreshness } from './freshness';
import { decidingEvent, type Evidence, evidenceOf } from './freshness-evidence';
import { foldFreshness } from './freshness-fold';
import { FAILURE_LOG_CAP } from './freshness-record';
import type { JobState, LifecycleEventType } from './job-state';
import type { FreshnessReader } from './ports';
import { fromDate, normalizeTimestamp, toMillis } from './timestamp';

export { decidingRole, type Evidence, type EvidenceRole } from './freshness-evidence';

/**
 * Freshness as of a past time T, rebuilt from the audit trail (issue 12, docs/DESIGN.md "Freshness at T").
 *
 * The live record is a fold of every event applied so far; the record as it stood at T is the same fold
 * over the events of T's past, so this module rebuilds a `FreshnessRecord` from audit events and hands it
 * to the live view's own `sourceFreshness` with the clock at T. Two pasts, because late delivery makes
 * them differ: what was true (events whose event time is at or before T) and what an agent asking at T
 * was told (events the stack had received by T).
 *
 * Reading is newest first from T, in small pages, and stops as soon as every register of the record is
 * determined; the live record says which registers never moved (no failure ever: no need to look for one)
 * and where the latest failure or running is, so a source that rarely fails does not cost its history.
 */

/** An audit event as stored: the normalized event plus its delivery (svix-id, when it was received). */
export interface RecordedEvent extends SyncEvent {
  readonly svix_id: string;
  readonly received_at: string;
}

export interface HistoryPage {
  /** Newest first by event time. */
  readonly events: readonly RecordedEvent[];
  /** Where the next page starts; undefined when the history is exhausted. */
  readonly next?: unknown;
}

/** The audit trail of one source, read by partition (never a scan). */
export interface AuditHistory {
  /** One page of a source's events in one collection with event time at or before `until`, newest first. */
  sourceHistory(query: {
    readonly collection: string;
    readonly sourceKey: string;
    readonly until: string;
    readonly limit: number;
    readonly cursor?: unknown;
  }): Promise<HistoryPage>;
  /** One audit event by its natural key; undefined when it is not (or no longer) recorded. */
  auditEvent(jobId: string, eventType: LifecycleEventType): Promise<RecordedEvent | undefined>;
  /** A source's oldest retained event in one collection. */
  firstEvent(collection: string, sourceKey: string): Promise<RecordedEvent | undefined>;
}

export type UnknownReason =
  | {
      readonly code: 'before_retention';
      readonly message: string;
      /** The oldest receipt time whose audit items are still kept. */
      readonly retained_since: string;
    }
  | {
      readonly code: 'before_first_event';
      readonly message: string;
      /** The source's oldest retained event, if any is left. */
      readonly first_event_at: string | null;
    };

export interface SourceFreshnessAt extends SourceFreshness {
  /** Every event the answer rests on had been received by T: what was true is what the stack said. */
  readonly known_at_t: boolean;
  /**
   * What an agent asking at T was told (the live view fed the events received by T), present only where
   * it differs from what was true; null when the stack had received nothing of this source by T.
   */
  readonly as_known_at_t?: SourceFreshness | null;
  /** Why the status is `unknown` when the trail cannot answer (T outside what it holds). */
  readonly reason?: UnknownReason;
  /** The event that decides the status (see `decidingRole`), null when none does. */
  readonly deciding_event: Evidence | null;
  readonly evidence: readonly Evidence[];
}

export interface CollectionFreshnessAt {
  readonly at: string;
  readonly collection_readable_id: string;
  readonly collection_name: string;
  /** As of T, by what was true: some source was failed or stale. */
  readonly stale: boolean;
  readonly sources: readonly SourceFreshnessAt[];
}

export interface FreshnessAtDeps {
  readonly freshness: FreshnessReader;
  readonly history: AuditHistory;
  readonly rules: readonly FreshnessRule[];
  /** Audit items expire this many days after they were received: before that, the trail is incomplete. */
  readonly retentionDays: number;
  readonly now: () => Date;
  /** The first page's size (default FIRST_PAGE); the benchmark sets it huge to price reading everything. */
  readonly firstPage?: number;
}

/** RFC 3339 demands a zone: a time without one would be read in whichever zone the server runs in. */
const ZONED = /(Z|[+-]\d{2}:?\d{2})$/i;

/** Why a requested T cannot be answered, or undefined when it can: the route's 400 and the CLI's usage error. */
export function atProblem(text: string, now: Date): string | undefined {
  const normalized = ZONED.test(text.trim()) ? normalizeTimestamp(text) : undefined;
  if (normalized === undefined)
    return `at must be an RFC 3339 time with a zone, such as 2026-04-23T13:50:00Z, got "${text}"`;
  // Compared as text, the stored form: microseconds count.
  if (normalized > fromDate(now))
    return `at ${normalized} is in the future (now is ${fromDate(now)}): freshness at T answers for the past`;
  return undefined;
}

/** The normalized T, or a BadRequestError (HTTP 400). */
export function parseAt(text: string | undefined, now: Date): string {
  if (text === undefined || text === '') throw new BadRequestError('at is required');
  const problem = atProblem(text, now);
  if (problem !== undefined) throw new BadRequestError(problem);
  return normalizeTimestamp(text) as string;
}

/** `GET /freshness/{collection}?at=T`: 404 for a collection the stack has never seen. */
export async function collectionFreshnessAt(
  deps: FreshnessAtDeps,
  collection: string,
  at: string,
  all = false,
): Promise<CollectionFreshnessAt> {
  const records = await deps.freshness.collectionFreshness(collection);
  if (records.length === 0) throw new NotFoundError(`no events recorded for collection ${collection}`);
  const [view] = await viewsAt(deps, records, at, true);
  return hideRetired(view as CollectionFreshnessAt, all);
}

/** `GET /freshness?at=T`: every collection the stack has seen, each as of T. */
export async function allFreshnessAt(
  deps: FreshnessAtDeps,
  at: string,
  all = false,
): Promise<{ at: string; collections: CollectionFreshnessAt[] }> {
  const views = await viewsAt(deps, await deps.freshness.allFreshness(), at, all);
  return {
    at,
    collections: views.map((view) => hideRetired(view, all)).filter((view) => view.sources.length > 0),
  };
}

/** As the live view does (`listed`): a source retired by T is history, listed only when asked for. */
function hideRetired(view: CollectionFreshnessAt, all: boolean): CollectionFreshnessAt {
  if (all) return view;
  const sources = view.sources.filter((s) => s.retired_at === null);
  return {
    ...view,
    stale: sources.some((s) => s.status === 'failed' || s.status === 'stale'),
    sources,
  };
}

/** Sources rebuilt at once: enough to overlap round trips, few enough not to flood a small table. */
const CONCURRENCY = 32;

async function viewsAt(
  deps: FreshnessAtDeps,
  live: readonly FreshnessRecord[],
  at: string,
  all: boolean,
): Promise<CollectionFreshnessAt[]> {
  // Retired before T: nothing to rebuild unless asked for. Retired after T: it was listed at T.
  const records = all ? live : live.filter((r) => r.retired_at === null || r.retired_at > at);
  const horizon = fromDate(new Date(deps.now().getTime() - deps.retentionDays * 86_400_000));
  const sorted = [...records].sort(
    (a, b) =>
      a.collection_readable_id.localeCompare(b.collection_readable_id) ||
      a.source_type.localeCompare(b.source_type) ||
      a.source_key.localeCompare(b.source_key),
  );
  const sources = await mapLimit(sorted, CONCURRENCY, async (record) =>
    at < horizon
      ? outsideRetention(record, deps.rules, at, horizon, deps.retentionDays)
      : sourceAt(deps.history, record, deps.rules, at, deps.firstPage),
  );
  const byCollection = new Map<string, { records: FreshnessRecord[]; sources: SourceFreshnessAt[] }>();
  sorted.forEach((record, i) => {
    const entry = byCollection.get(record.collection_readable_id) ?? { records: [], sources: [] };
    entry.records.push(record);
    entry.sources.push(sources[i] as SourceFreshnessAt);
    byCollection.set(record.collection_readable_id, entry);
  });
  return [...byCollection.entries()].map(([collection, entry]) => ({
    at,
    collection_readable_id: collection,
    collection_name: entry.records.find((r) => r.collection_name)?.collection_name ?? '',
    stale: entry.sources.some((s) => s.status === 'failed' || s.status === 'stale'),
    sources: entry.sources,
  }));
}

/** The page size of the first read: most sources are settled by their last few jobs. */
export const FIRST_PAGE = 24;
const MAX_PAGE = 400;

/**
 * One source as of T: reads its history newest first from T until the record is determined for both
 * pasts, then folds each with the live register rules and applies the live status rule at T.
 */
export async function sourceAt(
  history: AuditHistory,
  live: FreshnessRecord,
  rules: readonly FreshnessRule[],
  at: string,
  firstPage = FIRST_PAGE,
): Promise<SourceFreshnessAt> {
  const read: RecordedEvent[] = [];
  const extras: RecordedEvent[] = [];
  let floor: string | null = null;
  let cursor: unknown;
  let limit = firstPage;
  let hinted = false;
  for (;;) {
    const page = await history.sourceHistory({
      collection: live.collection_readable_id,
      sourceKey: live.source_key,
      until: at,
      limit,
      cursor,
    });
    read.push(...page.events);
    cursor = page.next;
    const last = read.at(-1);
    floor = cursor === undefined ? null : (last?.timestamp ?? floor);
    if (cursor === undefined) break;
    const truth = [...read, ...extras];
    const told = truth.filter((e) => e.received_at <= at);
    if (settled(truth, live, floor) && settled(told, live, floor)) break;
    if (!hinted) {
      hinted = true;
      extras.push(...(await hints(history, live, at, read)));
      const withHints = [...read, ...extras];
      if (
        settled(withHints, live, floor) &&
        settled(
          withHints.filter((e) => e.received_at <= at),
          live,
          floor,
        )
      )
        break;
    }
    limit = Math.min(limit * 2, MAX_PAGE);
  }
  const truthEvents = unique([...read, ...extras]);
  const lifecycle = lifecycleAt(live, at);
  if (truthEvents.length === 0) {
    // Listed (created in Airweave, or found by the reconciler) but no job yet: the rule still applies.
    if (lifecycle.registered_at !== null || lifecycle.retired_at !== null) {
      const view = sourceFreshness({ ...emptyRecord(live), ...lifecycle }, rules, new Date(toMillis(at)));
      return { ...view, known_at_t: true, deciding_event: null, evidence: [] };
    }
    return beforeFirstEvent(history, live, rules, at);
  }
  const toldEvents = truthEvents.filter((e) => e.received_at <= at);
  const folded = foldFreshness(truthEvents) as FreshnessRecord;
  const truthRecord: FreshnessRecord = { ...folded, ...lifecycle };
  const toldFolded = foldFreshness(toldEvents);
  const toldRecord = toldFolded && { ...toldFolded, ...lifecycle };
  const now = new Date(toMillis(at));
  const truthView = sourceFreshness(truthRecord, rules, now);
  const toldView = toldRecord && sourceFreshness(toldRecord, rules, now);
  const evidence = evidenceOf(truthRecord, truthEvents, at);
  const known = evidence.every((e) => e.known_at_t);
  return {
    ...truthView,
    known_at_t: known,
    ...(toldView === undefined
      ? { as_known_at_t: null }
      : differs(truthView, toldView) && { as_known_at_t: toldView }),
    deciding_event: decidingEvent(truthView.status, evidence),
    evidence,
  };
}

/**
 * Whether events read so far (every event above `floor`, or all when `floor` is null, plus fetched
 * hints) determine each register of the record for this set of events.
 */
function settled(events: readonly RecordedEvent[], live: FreshnessRecord, floor: string | null): boolean {
  const above = (e: RecordedEvent) => floor === null || e.timestamp > floor;
  const has = (state: JobState) => events.some((e) => e.state === state && above(e));
  const latest = events.some(above);
  // The live record is the latest of every register: a register it never moved never moved before T.
  const running =
    has('running') || live.running_at === null || hintIn(events, live.running_job_id, 'running');
  const terminal = events.some((e) => TERMINAL.has(e.state) && above(e)) || live.last_terminal_state === null;
  const success = has('completed') || live.last_success_at === null;
  const failure =
    has('failed') || live.last_failure_at === null || hintIn(events, live.last_failure_job_id, 'failed');
  // Consecutive failures count back to the last success, or (none ever) up to the log's cap.
  const failures =
    has('completed') ||
    live.last_failure_at === null ||
    new Set(events.filter((e) => e.state === 'failed' && above(e)).map((e) => e.sync_job_id)).size >=
      FAILURE_LOG_CAP;
  return latest && running && terminal && success && failure && failures;
}

const TERMINAL: ReadonlySet<JobState> = new Set(['completed', 'failed', 'cancelled']);

function hintIn(events: readonly RecordedEvent[], jobId: string | null, state: JobState): boolean {
  return jobId !== null && events.some((e) => e.sync_job_id === jobId && e.state === state);
}

/**
 * The live record's latest failure and latest running, when they happened at or before T: then they are
 * also the latest at T, fetched by key instead of reading back to them.
 */
async function hints(
  history: AuditHistory,
  live: FreshnessRecord,
  at: string,
  read: readonly RecordedEvent[],
): Promise<RecordedEvent[]> {
  const wanted: Array<[string, LifecycleEventType]> = [];
  const seen = (state: JobState) => read.some((e) => e.state === state);
  const before = (time: string | null, job: string | null): job is string =>
    time !== null && time <= at && job !== null;
  if (!seen('failed') && before(live.last_failure_at, live.last_failure_job_id))
    wanted.push([live.last_failure_job_id, 'sync.failed']);
  if (!seen('running') && before(live.running_at, live.running_job_id))
    wanted.push([live.running_job_id, 'sync.running']);
  const found = await Promise.all(wanted.map(([job, type]) => history.auditEvent(job, type)));
  return found.filter(
    (e): e is RecordedEvent =>
      e !== undefined &&
      e.timestamp <= at &&
      e.collection_readable_id === live.collection_readable_id &&
      e.source_key === live.source_key,
  );
}

function unique(events: readonly RecordedEvent[]): RecordedEvent[] {
  const byKey = new Map<string, RecordedEvent>();
  for (const e of events) byKey.set(`${e.sync_job_id}#${e.event_type}`, e);
  return [...byKey.values()];
}

function differs(a: SourceFreshness, b: SourceFreshness): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

/** A source with no event at or before T: the trail starts after T, so nothing can be said. */
async function beforeFirstEvent(
  history: AuditHistory,
  live: FreshnessRecord,
  rules: readonly FreshnessRule[],
  at: string,
): Promise<SourceFreshnessAt> {
  const first = await history.firstEvent(live.collection_readable_id, live.source_key);
  const message = first
    ? `no event of this source at or before ${at}; its first recorded event is at ${first.timestamp}`
    : `no event of this source is recorded`;
  return unknownAt(live, rules, at, {
    code: 'before_first_event',
    message,
    first_event_at: first?.timestamp ?? null,
  });
}

function outsideRetention(
  live: FreshnessRecord,
  rules: readonly FreshnessRule[],
  at: string,
  horizon: string,
  days: number,
): SourceFreshnessAt {
  return unknownAt(live, rules, at, {
    code: 'before_retention',
    message: `${at} is before the retention window: audit events are kept ${days} days, since ${horizon}`,
    retained_since: horizon,
  });
}

function unknownAt(
  live: FreshnessRecord,
  rules: readonly FreshnessRule[],
  at: string,
  reason: UnknownReason,
): SourceFreshnessAt {
  const view = sourceFreshness(emptyRecord(live), rules, new Date(toMillis(at)));
  return {
    ...view,
    status: 'unknown',
    known_at_t: true,
    reason,
    deciding_event: null,
    evidence: [],
  };
}

/**
 * The source lifecycle registers the reconciler and Airweave's lifecycle events keep on the live record
 * (not in the audit trail): each holds one time (first listing, latest verification, retirement), so its
 * value at T is the live one when that is at or before T, and none otherwise. (A verification before T
 * that a later one replaced is not kept anywhere: `verified_at` then reads null.)
 */
function lifecycleAt(
  live: FreshnessRecord,
  at: string,
): Pick<FreshnessRecord, 'registered_at' | 'verified_at' | 'retired_at'> {
  const by = (time: string | null) => (time !== null && time <= at ? time : null);
  return {
    registered_at: by(live.registered_at),
    verified_at: by(live.verified_at),
    retired_at: by(live.retired_at),
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
