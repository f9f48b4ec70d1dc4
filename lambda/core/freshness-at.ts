import type { FreshnessRule } from './config';
import { BadRequestError, NotFoundError } from './errors';
import type { AuditHistory } from './audit-trail';
import { emptyRecord, type FreshnessRecord, type SourceFreshness, sourceFreshness } from './freshness';
import { decidingEvent, type Evidence, evidenceOf } from './freshness-evidence';
import { foldFreshness } from './freshness-fold';
import {
  CONCURRENCY,
  mapLimit,
  type ReadOptions,
  readCollection,
  type SourceRead,
} from './freshness-at-read';
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
 * Which events those are, read newest first from T and no further than needed, is `freshness-at-read.ts`.
 */

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

/** `history`, `firstPage` and `bySource`: how the trail is read (`ReadOptions`). */
export interface FreshnessAtDeps extends ReadOptions {
  readonly freshness: FreshnessReader;
  readonly rules: readonly FreshnessRule[];
  /** Audit items expire this many days after they were received: before that, the trail is incomplete. */
  readonly retentionDays: number;
  readonly now: () => Date;
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
  // Sources retired by T are left out before the rebuild (unless all), so no collection is left empty.
  return { at, collections: await viewsAt(deps, await deps.freshness.allFreshness(), at, all) };
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

/** Collections rebuilt at once, each reading up to CONCURRENCY sources at once. */
const COLLECTIONS_AT_ONCE = 4;

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
  const byCollection = new Map<string, FreshnessRecord[]>();
  for (const record of sorted)
    byCollection.set(record.collection_readable_id, [
      ...(byCollection.get(record.collection_readable_id) ?? []),
      record,
    ]);
  return mapLimit([...byCollection.entries()], COLLECTIONS_AT_ONCE, async ([collection, group]) => {
    const sources =
      at < horizon
        ? group.map((record) => outsideRetention(record, deps.rules, at, horizon, deps.retentionDays))
        : await mapLimit(await readCollection(deps, group, at), CONCURRENCY, (read) =>
            rebuildAt(deps.history, read, deps.rules, at),
          );
    return {
      at,
      collection_readable_id: collection,
      collection_name: group.find((r) => r.collection_name)?.collection_name ?? '',
      stale: sources.some((s) => s.status === 'failed' || s.status === 'stale'),
      sources,
    };
  });
}

/** The record at T from what was read: folded for each past, with the live status rule at T. */
async function rebuildAt(
  history: AuditHistory,
  { live, events: truthEvents }: SourceRead,
  rules: readonly FreshnessRule[],
  at: string,
): Promise<SourceFreshnessAt> {
  const lifecycle = lifecycleAt(live, at);
  if (truthEvents.length === 0) {
    // Listed (created in Airweave, or found by the reconciler) but no job yet: the rule still applies.
    if (lifecycle.registered_at !== null || lifecycle.retired_at !== null) {
      const view = sourceFreshness({ ...emptyRecord(live), ...lifecycle }, rules, new Date(toMillis(at)));
      return { ...view, known_at_t: true, deciding_event: null, evidence: [] };
    }
    return beforeFirstEvent(history, live, rules, at);
  }
  const truthRecord: FreshnessRecord = { ...(foldFreshness(truthEvents) as FreshnessRecord), ...lifecycle };
  const toldFolded = foldFreshness(truthEvents.filter((e) => e.received_at <= at));
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
  // JavaScript compares null with a string as false either way: the null check is for the compiler only.
  // Stryker disable next-line ConditionalExpression: `null <= at` is false, so no input tells the check from `true`
  const by = (time: string | null) => (time !== null && time <= at ? time : null);
  return {
    registered_at: by(live.registered_at),
    verified_at: by(live.verified_at),
    retired_at: by(live.retired_at),
  };
}
