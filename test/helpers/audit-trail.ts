import fc from 'fast-check';
import { memoryStores } from '../../lambda/adapters/store/stores';
import type { AuditHistory, RecordedEvent } from '../../lambda/core/audit-trail';
import type { SyncEvent } from '../../lambda/core/events';
import { type LifecycleEventType, stateOf } from '../../lambda/core/job-state';
import { keys } from '../../lambda/core/table-schema';

/**
 * An audit trail for the pure freshness-at tests: the events written by the real recorder into the
 * in-memory table (the executable spec of the DynamoDB adapter, so the pages, filters and keys are the
 * adapter's own), and every read the rebuild makes of it logged, so a test can say what a read cost.
 */

export const BASE = Date.UTC(2026, 3, 23, 0, 0, 0);
export const MINUTE = 60_000;
/** Stored form: microseconds. */
export const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

export interface EventShape {
  readonly source?: string;
  readonly collection?: string;
  readonly type?: string;
  /** The collection's name ('' when the sender left it out). */
  readonly name?: string;
}

/** One recorded lifecycle event of job `job` at `atMs`, received at `receivedMs`. */
export function recorded(
  type: LifecycleEventType,
  job: string,
  atMs: number,
  receivedMs = atMs,
  shape: EventShape = {},
): RecordedEvent {
  const source = shape.source ?? 'conn';
  const event: SyncEvent = {
    event_type: type,
    state: stateOf(type),
    timestamp: iso(atMs),
    sync_job_id: job,
    sync_id: null,
    organization_id: null,
    collection_readable_id: shape.collection ?? 'c',
    collection_id: null,
    collection_name: shape.name ?? 'C',
    source_connection_id: source,
    source_type: shape.type ?? 'github',
    source_key: source,
    entities_inserted: 0,
    entities_updated: 0,
    entities_deleted: 0,
    entities_skipped: 0,
    chunks_written: 0,
    error: type === 'sync.failed' ? `error of ${job}` : null,
    payload_format: 'current',
    origin: 'webhook',
  };
  return { ...event, svix_id: `msg_${job}_${type}`, received_at: iso(receivedMs) };
}

/** A job's events one minute apart: pending, running, then its outcome when it has one. */
export function job(
  id: string,
  startMs: number,
  outcome?: LifecycleEventType,
  shape: EventShape = {},
  delayMs = 0,
): RecordedEvent[] {
  const types: LifecycleEventType[] = ['sync.pending', 'sync.running', ...(outcome ? [outcome] : [])];
  return types.map((type, step) =>
    recorded(type, id, startMs + step * MINUTE, startMs + step * MINUTE + delayMs, shape),
  );
}

/** Random jobs of one source, one per `gap` minutes: pending, running, then an outcome (or none yet), each
 * delivered `delay` minutes late. Completions weigh twice, so sources are fresh as often as not. */
const jobsArb = (maxJobs: number) =>
  fc.array(
    fc.record({
      outcome: fc.constantFrom<LifecycleEventType | undefined>(
        'sync.completed',
        'sync.completed',
        'sync.failed',
        'sync.cancelled',
        undefined,
      ),
      gap: fc.integer({ min: 1, max: 120 }),
      delay: fc.nat(90),
    }),
    { minLength: 1, maxLength: maxJobs },
  );

/** The recorded events of `jobsArb` histories, source `i` named `src-i`. */
const eventsOf = (
  histories: ReadonlyArray<ReadonlyArray<{ outcome?: LifecycleEventType; gap: number; delay: number }>>,
): RecordedEvent[] =>
  histories.flatMap((jobs, source) => {
    let start = BASE + source * 1000;
    return jobs.flatMap(({ outcome, gap, delay }, i) => {
      start += gap * MINUTE;
      return job(
        `s${source}-j${String(i).padStart(3, '0')}`,
        start,
        outcome,
        { source: `src-${source}` },
        delay * MINUTE,
      );
    });
  });

/** A time within the events' span: 0 is BASE, 1 the last receipt. */
const spanOf = (events: readonly RecordedEvent[]) => {
  const last = Math.max(...events.map((e) => Date.parse(e.received_at)));
  return (f: number) => iso(Math.floor(BASE + f * (last - BASE)));
};

/**
 * A random case of a collection's read at T: up to four sources' histories, T anywhere in their span, and
 * the failure index not relied on (null), complete from the start (undefined), or complete from a time in
 * the span.
 */
export const readCaseArb = (maxJobs: number) =>
  fc.record({
    histories: fc.array(jobsArb(maxJobs), { minLength: 1, maxLength: 4 }),
    pick: fc.double({ min: 0, max: 1, noNaN: true }),
    since: fc.option(fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }), {
      nil: null,
    }),
  });

/** A `readCaseArb` case written as a trail: its events, its T, and the trail. */
export async function readCaseTrail(c: {
  readonly histories: ReadonlyArray<
    ReadonlyArray<{ outcome?: LifecycleEventType; gap: number; delay: number }>
  >;
  readonly pick: number;
  readonly since: number | undefined | null;
}) {
  const events = eventsOf(c.histories);
  const span = spanOf(events);
  const trail = await trailOf(
    events,
    c.since === null ? {} : { since: c.since === undefined ? '' : span(c.since) },
  );
  return { events, at: span(c.pick), trail };
}

export interface Call {
  readonly method: keyof AuditHistory;
  readonly limit?: number;
  readonly until?: string;
  readonly from?: string;
  readonly sourceKey?: string;
  /** Items (events, entries) the call returned, or keys asked for in a batch. */
  readonly items: number;
}

/**
 * The trail in memory stores: every event recorded (audit item, live freshness record) as the ingest path
 * records it; `since` is the failure index's META item (undefined: none, so the index is not relied on).
 */
export async function trailOf(
  events: readonly RecordedEvent[],
  options: { readonly since?: string; readonly retentionDays?: number } = {},
) {
  const stores = memoryStores({ retentionDays: options.retentionDays ?? 3650 });
  for (const event of events) {
    const { svix_id: id, received_at: receivedAt, ...sync } = event;
    await stores.recorder.putAuditEvent(sync, { id, receivedAt });
    await stores.recorder.advanceFreshness(sync);
  }
  if (options.since !== undefined)
    await stores.table.putNew({ ...keys.failureIndexSince(), entity: 'meta', since: options.since });
  const calls: Call[] = [];
  const real = stores.history;
  const history: AuditHistory = {
    async collectionHistory(query) {
      const page = await real.collectionHistory(query);
      calls.push({
        method: 'collectionHistory',
        limit: query.limit,
        until: query.until,
        items: page.events.length,
      });
      return page;
    },
    async sourceHistory(query) {
      const page = await real.sourceHistory(query);
      calls.push({
        method: 'sourceHistory',
        sourceKey: query.sourceKey,
        limit: query.limit,
        until: query.until,
        items: page.events.length,
      });
      return page;
    },
    async failures(query) {
      const page = await real.failures(query);
      calls.push({
        method: 'failures',
        from: query.from,
        until: query.until,
        limit: query.limit,
        items: page.entries.length,
      });
      return page;
    },
    async failureIndexSince() {
      calls.push({ method: 'failureIndexSince', items: 1 });
      return real.failureIndexSince();
    },
    async auditEvents(wanted) {
      calls.push({ method: 'auditEvents', items: wanted.length });
      return real.auditEvents(wanted);
    },
    async firstEvent(collection, sourceKey) {
      calls.push({ method: 'firstEvent', sourceKey, items: 1 });
      return real.firstEvent(collection, sourceKey);
    },
  };
  /** How many calls of each kind were made. */
  const count = () => {
    const counts: Partial<Record<keyof AuditHistory, number>> = {};
    for (const call of calls) counts[call.method] = (counts[call.method] ?? 0) + 1;
    return counts;
  };
  const live = (collection = 'c') => stores.freshness.collectionFreshness(collection);
  return { stores, history, calls, count, live };
}
