import type { FreshnessRecord } from './freshness';
import { FAILURE_LOG_CAP } from './freshness-record';
import type { AuditHistory, FailureEntry, RecordedEvent } from './audit-trail';
import type { JobState, LifecycleEventType } from './job-state';

/**
 * Reading the audit trail for freshness at T (issue 12, docs/DESIGN.md section 8, "Reading"): which events
 * of T's past each source's record at T rests on, read newest first from T and no further than needed.
 * What those events mean at T (the fold, the status rule, the evidence) is `freshness-at.ts`.
 *
 * Reading is by collection, newest first from T, and stops as soon as every register of every source's
 * record is determined; the live record says which registers never moved (no failure ever: no need to look
 * for one) and where the latest running is, and the failure index where each source's latest failure at T
 * is, so a source that rarely fails does not cost its history, and a collection costs a few calls.
 */

/** The page size of a source's first read: most sources are settled by their last few jobs. */
export const FIRST_PAGE = 24;
const MAX_PAGE = 400;
/** A collection's first page holds about the last two jobs of each source (three transitions each); later pages double. */
const COLLECTION_EVENTS_PER_SOURCE = 5;
/** A Query returns at most 1 MB anyway; audit items are about 700 bytes. */
const MAX_COLLECTION_PAGE = 1_500;
/** Pages of a collection read before the sources it leaves undecided read their own histories instead. */
const MAX_COLLECTION_PAGES = 3;
/** Failure index entries per page (about 200 bytes each), and pages read before giving up on it. */
const FAILURE_PAGE = 1_000;
const MAX_FAILURE_PAGES = 4;

/** What one source's record at T rests on: its live record and the events of T's past that were read. */
export interface SourceRead {
  readonly live: FreshnessRecord;
  /** Events at or before T (event time), each once: the latest of every register, in both pasts. */
  readonly events: readonly RecordedEvent[];
}

export interface ReadOptions {
  readonly history: AuditHistory;
  /** The first page's size of a source's own read (default FIRST_PAGE); the benchmark sets it huge to price reading everything. */
  readonly firstPage?: number;
  /**
   * Read each source's own history instead of the collection's (the way the few sources a collection
   * read leaves undecided are read): the benchmark's comparison with the collection read.
   */
  readonly bySource?: boolean;
}

/**
 * One source's events at T, reading only its own history (gsi1): newest first from T until the record is
 * determined for both pasts.
 */
export async function readSource(
  history: AuditHistory,
  live: FreshnessRecord,
  at: string,
  firstPage = FIRST_PAGE,
): Promise<SourceRead> {
  const rebuild = startRebuild(live, at);
  await walkSource(history, rebuild, at, firstPage);
  return readOf(rebuild);
}

const readOf = (r: Rebuild): SourceRead => ({ live: r.live, events: unique([...r.read, ...r.extras]) });

/** What is known about one source while its past is read (docs/DESIGN.md section 8, "Reading"). */
interface Rebuild {
  readonly live: FreshnessRecord;
  /** Its events read newest first from T (by collection, then by source): each at or before T. */
  readonly read: RecordedEvent[];
  /** Events fetched by key: the latest failure or running at or before T, wherever they are. */
  readonly extras: RecordedEvent[];
  /** Every event of the source after this time was read (`complete`: every event at or before T was). */
  floor: string;
  complete: boolean;
  /** Whether the by-key lookups were made. */
  hinted: boolean;
  /**
   * The job of the latest failure at or before T, for what was true and for what the stack had been told
   * (received by T): null when there is none, undefined while it is not known.
   */
  truthFailure: string | null | undefined;
  toldFailure: string | null | undefined;
  /** The live record's latest running job when that running is at or before T (then it is T's latest). */
  readonly runningJob: string | undefined;
}

/**
 * A live register's value when its time is at or before T, else undefined. JavaScript compares null with a
 * string as false, so the null check serves the compiler only; and a register set at T itself was set by
 * the newest event at or before T, which every first page holds, so `<` for `<=` changes nothing either.
 */
const atOrBefore = <V>(time: string | null, at: string, value: V): V | undefined =>
  // Stryker disable next-line ConditionalExpression,EqualityOperator: no input can tell (see above)
  time !== null && time <= at ? value : undefined;

function startRebuild(live: FreshnessRecord, at: string): Rebuild {
  // The live record is the latest of each register: its latest failure, when at or before T, is T's too.
  const failure = atOrBefore(live.last_failure_at, at, live.last_failure_job_id);
  return {
    live,
    read: [],
    extras: [],
    floor: at,
    complete: false,
    hinted: false,
    truthFailure: failure,
    toldFailure: failure,
    runningJob: atOrBefore(live.running_at, at, live.running_job_id ?? undefined),
  };
}

/**
 * Every source of one collection as of T. The collection's partition (gsi2) is read newest first from T,
 * so one page holds the last job of every source and the floor is shared: below it nothing is known, above
 * it everything is. Alongside, the failure index (gsi3) gives each source's latest failure at or before T,
 * which is often far below the floor; that event and the live record's latest running are then read by
 * key, all sources in one batch. A second or third page settles most of the rest; the few sources still
 * undecided (a long run of failures, a source quiet for days) read their own history below the floor.
 */
export async function readCollection(
  deps: ReadOptions,
  records: readonly FreshnessRecord[],
  at: string,
): Promise<SourceRead[]> {
  const { history } = deps;
  const rebuilds = new Map(records.map((live) => [live.source_key, startRebuild(live, at)]));
  const open = () => [...rebuilds.values()].filter((r) => !decided(r, at));
  const finish = async () => {
    await mapLimit(open(), CONCURRENCY, (r) => walkSource(history, r, at, deps.firstPage ?? FIRST_PAGE));
    return [...rebuilds.values()].map(readOf);
  };
  if (deps.bySource) return finish();

  const collection = (records[0] as FreshnessRecord).collection_readable_id;
  let cursor: unknown;
  let pages = 0;
  let limit = Math.min(
    MAX_COLLECTION_PAGE,
    Math.max(deps.firstPage ?? FIRST_PAGE, records.length * COLLECTION_EVENTS_PER_SOURCE),
  );
  const readPage = async () => {
    const page = await history.collectionHistory({ collection, until: at, limit, cursor });
    pages++;
    cursor = page.next;
    for (const event of page.events) rebuilds.get(event.source_key)?.read.push(event);
    for (const r of rebuilds.values()) {
      r.complete = cursor === undefined;
      // Only the last page can be empty (no filter on this index), and a complete read needs no floor.
      r.floor = page.events.at(-1)?.timestamp ?? r.floor;
    }
    limit = Math.min(limit * 2, MAX_COLLECTION_PAGE);
  };
  const [failures] = await Promise.all([latestFailures(history, collection, records, at), readPage()]);
  for (const [source, known] of failures) {
    const r = rebuilds.get(source) as Rebuild;
    r.truthFailure = known.truth;
    r.toldFailure = known.told;
  }
  // Another page while many sources would stay undecided even with their by-key reads; then those reads,
  // in one batch, for the sources still open.
  const many = () =>
    [...rebuilds.values()].filter((r) => !decided(r, at, true)).length > fewEnough(records.length);
  // (A read to its end leaves every source complete, so decided: no more pages.)
  while (pages < MAX_COLLECTION_PAGES && many()) await readPage();
  await fetchHints(history, open());
  return finish();
}

/** Sources left to read one by one rather than paging the whole collection again. */
const fewEnough = (sources: number) => Math.max(2, Math.ceil(sources / 20));

/**
 * Each source's latest failure at or before T, for both pasts, from the failure index: its newest entries
 * from T down, until every source that has ever failed has one. The index holds every failure recorded
 * since `failureIndexSince` (always, for a table created with it); a source with no entry in that range
 * had no failure at or before T only when the range starts at the beginning. Without that time (a table
 * that had failures before the index existed), nothing is known from it and sources read their history.
 */
async function latestFailures(
  history: AuditHistory,
  collection: string,
  records: readonly FreshnessRecord[],
  at: string,
): Promise<Map<string, { truth: string | null | undefined; told: string | null | undefined }>> {
  const known = new Map<string, { truth: string | null | undefined; told: string | null | undefined }>();
  // A source whose live latest failure is at or before T needs no index: that failure is T's latest too.
  const after = records.filter((r) => r.last_failure_at !== null && r.last_failure_at > at);
  if (after.length === 0) return known;
  const since = await history.failureIndexSince();
  if (since === undefined || since > at) return known;
  const wanted = new Set(after.map((r) => r.source_key));
  const found = new Map<string, { truth?: FailureEntry; told?: FailureEntry }>();
  let cursor: unknown;
  let pages = 0;
  while (wanted.size > 0 && pages < MAX_FAILURE_PAGES) {
    const page = await history.failures({ collection, from: since, until: at, limit: FAILURE_PAGE, cursor });
    pages++;
    for (const entry of page.entries) {
      // Only each source's first (newest) entry of each past counts: `??=` keeps it.
      const latest = found.get(entry.source_key) ?? {};
      latest.truth ??= entry;
      if (entry.received_at <= at) latest.told ??= entry;
      found.set(entry.source_key, latest);
      if (latest.told) wanted.delete(entry.source_key);
    }
    cursor = page.next;
    if (cursor === undefined) break;
  }
  // Read to the end of a range that starts with the table: a source not found had no such failure.
  const none = cursor === undefined && since === '' ? null : undefined;
  for (const record of after) {
    const latest = found.get(record.source_key);
    known.set(record.source_key, {
      truth: latest?.truth?.sync_job_id ?? none,
      told: latest?.told?.sync_job_id ?? none,
    });
  }
  return known;
}

/**
 * Whether everything the record at T depends on has been read, for both pasts; with `hinted`, as if the
 * events known to be the latest of their kind (`fetchHints`) had been read too: what a page costs is weighed
 * against it, and only the actual events decide.
 */
function decided(r: Rebuild, at: string, hinted = false): boolean {
  if (r.complete) return true;
  const truth = [...r.read, ...r.extras];
  const told = truth.filter((e) => e.received_at <= at);
  // Asked with `hinted` only before the lookups are made (the collection read's paging).
  return settled(truth, r, r.truthFailure, hinted) && settled(told, r, r.toldFailure, hinted);
}

/** Reads one source's own history below what is already known, until it is decided. */
async function walkSource(history: AuditHistory, r: Rebuild, at: string, firstPage: number): Promise<void> {
  let cursor: unknown;
  let limit = firstPage;
  // Events at the floor itself may have been read only in part: the range starts with them again.
  const until = r.floor;
  // A source the collection read read to its end reads nothing more.
  while (!r.complete) {
    const page = await history.sourceHistory({
      collection: r.live.collection_readable_id,
      sourceKey: r.live.source_key,
      until,
      limit,
      cursor,
    });
    r.read.push(...page.events);
    cursor = page.next;
    // Read to its end: nothing more to read (and nothing asks whether it is decided after this).
    if (cursor === undefined) break;
    r.floor = page.events.at(-1)?.timestamp ?? r.floor;
    if (decided(r, at)) break;
    if (!r.hinted) {
      await fetchHints(history, [r]);
      if (decided(r, at)) break;
    }
    limit = Math.min(limit * 2, MAX_PAGE);
  }
}

/**
 * Reads by key, in one batch for all the given sources, the events known to be the latest of their kind
 * at or before T but not read yet: the latest failure (from the failure index, or the live record's when
 * it is at or before T) and the live record's latest running when it is at or before T.
 */
async function fetchHints(history: AuditHistory, rebuilds: readonly Rebuild[]): Promise<void> {
  const wanted: Array<{ rebuild: Rebuild; jobId: string; eventType: LifecycleEventType }> = [];
  for (const r of rebuilds) {
    r.hinted = true;
    // Each past's latest failure unless it was read: the one received by T may be older than the truth's.
    for (const job of new Set([r.truthFailure, r.toldFailure]))
      if (typeof job === 'string' && !r.read.some((e) => e.sync_job_id === job && e.state === 'failed'))
        wanted.push({ rebuild: r, jobId: job, eventType: 'sync.failed' });
    if (r.runningJob !== undefined && !r.read.some((e) => e.state === 'running'))
      wanted.push({ rebuild: r, jobId: r.runningJob, eventType: 'sync.running' });
  }
  if (wanted.length === 0) return;
  const found = new Map(
    (await history.auditEvents(wanted)).map((e) => [`${e.sync_job_id}#${e.event_type}`, e] as const),
  );
  for (const { rebuild: r, jobId, eventType } of wanted) {
    const event = found.get(`${jobId}#${eventType}`);
    // Another source's or collection's event under the same key (a reused job id) is not this one's.
    // (This source's is its failure or running at or before T: the index and the live record say so.)
    if (
      event !== undefined &&
      event.collection_readable_id === r.live.collection_readable_id &&
      event.source_key === r.live.source_key
    )
      r.extras.push(event);
  }
  // A failure named by the index or the live record but no longer in the trail (expired, taken back) is
  // not found: the source is then read like any other, and what the trail holds decides.
}

/**
 * Whether events read so far (every event after `floor`, plus events fetched by key) determine each
 * register of the record for this set of events. `failureJob` is the latest failure at or before T in
 * this past when known from elsewhere (null: there is none).
 */
function settled(
  events: readonly RecordedEvent[],
  { live, floor, runningJob }: Rebuild,
  failureJob: string | null | undefined,
  /** Count the by-key reads not made yet as made: for planning only. */
  assumeHints: boolean,
): boolean {
  const above = (e: RecordedEvent) => e.timestamp > floor;
  const has = (state: JobState) => events.some((e) => e.state === state && above(e));
  const latest = events.some(above);
  // (No event has a null job id: a null names nothing.)
  const hintIn = (jobId: string | null, state: JobState) =>
    events.some((e) => e.sync_job_id === jobId && e.state === state);
  const runningHint = assumeHints && runningJob !== undefined;
  // The live record is the latest of every register: a register it never moved never moved before T.
  const running =
    has('running') || live.running_at === null || runningHint || hintIn(live.running_job_id, 'running');
  const terminal = events.some((e) => TERMINAL.has(e.state) && above(e)) || live.last_terminal_state === null;
  const success = has('completed') || live.last_success_at === null;
  const never = live.last_failure_at === null || failureJob === null;
  const failureHint = assumeHints && typeof failureJob === 'string';
  const failure = has('failed') || never || failureHint || hintIn(failureJob ?? null, 'failed');
  // Consecutive failures count back to the last success, or (none ever) up to the log's cap.
  const failures =
    has('completed') ||
    never ||
    new Set(events.filter((e) => e.state === 'failed' && above(e)).map((e) => e.sync_job_id)).size >=
      FAILURE_LOG_CAP;
  return latest && running && terminal && success && failure && failures;
}

const TERMINAL: ReadonlySet<JobState> = new Set(['completed', 'failed', 'cancelled']);

function unique(events: readonly RecordedEvent[]): RecordedEvent[] {
  const byKey = new Map<string, RecordedEvent>();
  for (const e of events) byKey.set(`${e.sync_job_id}#${e.event_type}`, e);
  return [...byKey.values()];
}

/** Sources (and collections) read at once: enough to overlap round trips, few enough not to flood a small table. */
export const CONCURRENCY = 32;

export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  // A worker with nothing left to take ends at once.
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}
