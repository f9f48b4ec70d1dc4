import fc from 'fast-check';
import type { FreshnessRule } from '../lambda/core/config';
import type { SyncEvent } from '../lambda/core/events';
import type { FreshnessRecord } from '../lambda/core/freshness';
import type { AuditHistory, FailurePage, HistoryPage, RecordedEvent } from '../lambda/core/audit-trail';
import { atProblem, collectionFreshnessAt, sourceAt } from '../lambda/core/freshness-at';
import { foldFreshness } from '../lambda/core/freshness-fold';
import { type LifecycleEventType, stateOf } from '../lambda/core/job-state';
import { keys, lifecycleKeys } from '../lambda/core/table-schema';

/**
 * The as-of rebuild's reading strategy, on an in-memory trail: it stops early, and stopping early never
 * changes the answer. (The rebuild against the real engine and the live stack is
 * `freshness-at.property.test.ts`.)
 */
class MemoryHistory implements AuditHistory {
  itemsRead = 0;
  pages = 0;
  gets = 0;
  private readonly newestFirst: RecordedEvent[];

  /** `since`: from when the failure index holds every failure (undefined: it is not relied on). */
  constructor(
    events: readonly RecordedEvent[],
    private readonly since?: string,
  ) {
    this.newestFirst = [...events].sort((a, b) => sortKey(b).localeCompare(sortKey(a)));
  }

  private page<T>(eligible: readonly T[], query: { limit: number; cursor?: unknown }) {
    this.pages++;
    const from = (query.cursor as number | undefined) ?? 0;
    const items = eligible.slice(from, from + query.limit);
    this.itemsRead += items.length;
    const next = from + query.limit;
    return { items, ...(next < eligible.length && { next }) };
  }

  collectionHistory(query: { until: string; limit: number; cursor?: unknown }): Promise<HistoryPage> {
    const { items, ...next } = this.page(
      this.newestFirst.filter((e) => e.timestamp <= query.until),
      query,
    );
    return Promise.resolve({ events: items, ...next });
  }

  sourceHistory(query: {
    sourceKey: string;
    until: string;
    limit: number;
    cursor?: unknown;
  }): Promise<HistoryPage> {
    const { items, ...next } = this.page(
      this.newestFirst.filter((e) => e.source_key === query.sourceKey && e.timestamp <= query.until),
      query,
    );
    return Promise.resolve({ events: items, ...next });
  }

  failures(query: { from: string; until: string; limit: number; cursor?: unknown }): Promise<FailurePage> {
    const { items, ...next } = this.page(
      this.newestFirst.filter(
        (e) => e.state === 'failed' && e.timestamp >= query.from && e.timestamp <= query.until,
      ),
      query,
    );
    return Promise.resolve({
      entries: items.map(({ source_key, sync_job_id, timestamp, received_at }) => ({
        source_key,
        sync_job_id,
        timestamp,
        received_at,
      })),
      ...next,
    });
  }

  failureIndexSince(): Promise<string | undefined> {
    this.gets++;
    return Promise.resolve(this.since);
  }

  auditEvents(
    keys: ReadonlyArray<{ jobId: string; eventType: LifecycleEventType }>,
  ): Promise<RecordedEvent[]> {
    this.gets++;
    return Promise.resolve(
      keys.flatMap(({ jobId, eventType }) =>
        this.newestFirst.filter((e) => e.sync_job_id === jobId && e.event_type === eventType),
      ),
    );
  }

  firstEvent(_collection: string, sourceKey: string): Promise<RecordedEvent | undefined> {
    return Promise.resolve(this.newestFirst.filter((e) => e.source_key === sourceKey).at(-1));
  }
}

/** The index's sort key: event time, then job, then type (`E#<ts>#<job>#<type>`). */
const sortKey = (e: RecordedEvent) => `${e.timestamp}#${e.sync_job_id}#${e.event_type}`;

const BASE = Date.UTC(2026, 3, 23, 0, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

function recorded(type: LifecycleEventType, job: string, atMs: number, receivedMs: number): RecordedEvent {
  const event: SyncEvent = {
    event_type: type,
    state: stateOf(type),
    timestamp: iso(atMs),
    sync_job_id: job,
    sync_id: null,
    organization_id: null,
    collection_readable_id: 'c',
    collection_id: null,
    collection_name: 'C',
    source_connection_id: 'conn',
    source_type: 'github',
    source_key: 'conn',
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

const rules: FreshnessRule[] = [{ collection: '*', maxAge: 3 * 3600 }];
const OUTCOMES: LifecycleEventType[] = ['sync.completed', 'sync.completed', 'sync.failed', 'sync.cancelled'];

/** Jobs one per `gapMinutes`: pending, running, then an outcome, each delivered after its delay. */
const historyArb = fc
  .array(
    fc.record({
      outcome: fc.option(fc.constantFrom(...OUTCOMES), { nil: undefined }),
      gap: fc.integer({ min: 1, max: 120 }),
      delays: fc.tuple(fc.nat(90), fc.nat(90), fc.nat(90)),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((jobs) => {
    let start = BASE;
    return jobs.flatMap(({ outcome, gap, delays }, i) => {
      start += gap * 60_000;
      const types: LifecycleEventType[] = ['sync.pending', 'sync.running', ...(outcome ? [outcome] : [])];
      return types.map((type, step) => {
        const at = start + step * 60_000 + i;
        return recorded(type, `j${String(i).padStart(3, '0')}`, at, at + delays[step]! * 60_000);
      });
    });
  });

describe('freshness at T: reading newest first and stopping early', () => {
  it('gives the same answer, evidence included, as reading the whole history', async () => {
    await fc.assert(
      fc.asyncProperty(
        historyArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 4 }),
        async (events, pick, page) => {
          const times = events.map((e) => Date.parse(e.received_at));
          const at = iso(Math.floor(BASE + pick * (Math.max(...times) - BASE)));
          const live = foldFreshness(events) as FreshnessRecord;
          const early = await sourceAt(new MemoryHistory(events), live, rules, at, page);
          const whole = await sourceAt(new MemoryHistory(events), live, rules, at, 100_000);
          expect(early).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a long history that rarely fails costs a page and one lookup, not the history', async () => {
    const events: RecordedEvent[] = [];
    for (let i = 0; i < 400; i++) {
      const start = BASE + i * 3_600_000;
      const job = `j${String(i).padStart(3, '0')}`;
      events.push(recorded('sync.pending', job, start, start + 1000));
      events.push(recorded('sync.running', job, start + 60_000, start + 61_000));
      const outcome = i === 3 ? 'sync.failed' : 'sync.completed';
      events.push(recorded(outcome, job, start + 600_000, start + 601_000));
    }
    const history = new MemoryHistory(events);
    const live = foldFreshness(events) as FreshnessRecord;
    const at = iso(BASE + 399.5 * 3_600_000);
    const answer = await sourceAt(history, live, rules, at);
    expect(answer).toMatchObject({
      status: 'fresh',
      last_failure_at: iso(BASE + 3 * 3_600_000 + 600_000),
      last_error: 'error of j003',
      consecutive_failures: 0,
    });
    expect({ pages: history.pages, gets: history.gets }).toEqual({ pages: 1, gets: 1 });
    expect(history.itemsRead).toBeLessThan(100);
  });

  it('a source that never failed needs no lookup and one page', async () => {
    const events = Array.from({ length: 300 }, (_, i) =>
      recorded(
        i % 2 ? 'sync.completed' : 'sync.running',
        `j${Math.floor(i / 2)}`,
        BASE + i * 60_000,
        BASE + i * 60_000,
      ),
    );
    const history = new MemoryHistory(events);
    await sourceAt(history, foldFreshness(events) as FreshnessRecord, rules, iso(BASE + 200 * 60_000));
    expect({ pages: history.pages, gets: history.gets }).toEqual({ pages: 1, gets: 0 });
  });
});

/** One source's events under its own key and job ids (the generator makes every source `conn`, `j...`). */
const asSource = (events: readonly RecordedEvent[], source: number): RecordedEvent[] =>
  events.map((e) => ({
    ...e,
    source_key: `conn-${source}`,
    source_connection_id: `conn-${source}`,
    sync_job_id: `s${source}-${e.sync_job_id}`,
    svix_id: `s${source}-${e.svix_id}`,
  }));

const collectionAtT = (history: AuditHistory, events: readonly RecordedEvent[], at: string, more = {}) => {
  const lives = [...new Set(events.map((e) => e.source_key))].map(
    (source) => foldFreshness(events.filter((e) => e.source_key === source)) as FreshnessRecord,
  );
  const reader = { collectionFreshness: async () => lives, allFreshness: async () => lives };
  return collectionFreshnessAt(
    {
      freshness: reader,
      history,
      rules,
      retentionDays: 3650,
      now: () => new Date(BASE + 400 * 86_400_000),
      ...more,
    },
    'c',
    at,
  );
};

describe('freshness at T of a collection: its partition newest first, the failure index, then sources one by one', () => {
  it('gives the same answer, evidence included, as reading the whole history of every source', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(historyArb, { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 4 }),
        // The failure index: not relied on, complete from the start, or complete from some time on.
        fc.option(fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }), { nil: null }),
        async (histories, pick, page, since) => {
          const events = histories.flatMap(asSource);
          const times = events.map((e) => Date.parse(e.received_at));
          const span = (f: number) => iso(Math.floor(BASE + f * (Math.max(...times) - BASE)));
          const at = span(pick);
          const indexSince = since === null ? undefined : since === undefined ? '' : span(since);
          const fast = await collectionAtT(new MemoryHistory(events, indexSince), events, at, {
            firstPage: page,
          });
          const whole = await collectionAtT(new MemoryHistory(events), events, at, {
            bySource: true,
            firstPage: 100_000,
          });
          expect(fast).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('sources whose latest failure at T lies far back cost a page of the collection, a page of the index and one batch of lookups', async () => {
    const all: RecordedEvent[] = [];
    for (let source = 0; source < 20; source++) {
      const events: RecordedEvent[] = [];
      // Each source fails twice: once long before T, once after it (so the live record cannot say).
      const failing = new Set([(source * 7) % 40, 60 + ((source * 3) % 30)]);
      for (let i = 0; i < 100; i++) {
        const start = BASE + i * 3_600_000 + source * 60_000;
        const job = `j${String(i).padStart(3, '0')}`;
        events.push(recorded('sync.pending', job, start, start + 1000));
        events.push(recorded('sync.running', job, start + 60_000, start + 61_000));
        const outcome = failing.has(i) ? 'sync.failed' : 'sync.completed';
        events.push(recorded(outcome, job, start + 600_000, start + 601_000));
      }
      all.push(...asSource(events, source));
    }
    const history = new MemoryHistory(all, '');
    const at = iso(BASE + 55.5 * 3_600_000);
    const answer = await collectionAtT(history, all, at);
    expect(answer.sources.map((s) => s.status)).toEqual(Array(20).fill('fresh'));
    expect(Object.fromEntries(answer.sources.map((s) => [s.source_connection_id, s.last_error]))).toEqual(
      Object.fromEntries(
        Array.from({ length: 20 }, (_, source) => [
          `conn-${source}`,
          `error of j${String((source * 7) % 40).padStart(3, '0')}`,
        ]),
      ),
    );
    // The collection's first page (5 events a source), the failure index's first page, when the index
    // starts, and one batch of lookups; nothing else, and no source read on its own.
    expect({ pages: history.pages, gets: history.gets }).toEqual({ pages: 2, gets: 2 });
    expect(history.itemsRead).toBeLessThanOrEqual(20 * 5 + 20);
    expect(answer).toEqual(
      await collectionAtT(new MemoryHistory(all), all, at, { bySource: true, firstPage: 100_000 }),
    );
  });
});

describe('the failure index', () => {
  it("has the gsi2 keys' shape, so the key limits the boundary derives from those hold for it", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (collection, job, ts) => {
        const failure = keys.failureIndex(collection, ts, job, 'sync.failed');
        const event = keys.eventIndex(collection, 'source', ts, job, 'sync.failed');
        expect(Buffer.byteLength(failure.gsi3pk)).toBe(Buffer.byteLength(event.gsi2pk));
        expect(failure.gsi3sk).toBe(event.gsi2sk);
      }),
    );
    const parts = { collection: 'c', source: 's', timestamp: 't', jobId: 'j' };
    expect(lifecycleKeys({ ...parts, eventType: 'sync.failed' }).event).toMatchObject({ gsi3pk: 'FAIL#c' });
    expect(lifecycleKeys({ ...parts, eventType: 'sync.completed' }).event).not.toHaveProperty('gsi3pk');
  });
});

describe('T itself', () => {
  const now = new Date('2026-04-23T13:55:00Z');
  it('must be an RFC 3339 time with a zone, not after now', () => {
    expect(atProblem('2026-04-23T13:55:00Z', now)).toBeUndefined();
    expect(atProblem('2026-04-23T15:00:00+02:00', now)).toBeUndefined();
    expect(atProblem('2026-04-23T13:55:00.000001Z', now)).toMatch(/in the future/);
    expect(atProblem('2026-04-23T13:00:00', now)).toMatch(/with a zone/);
    expect(atProblem('yesterday', now)).toMatch(/RFC 3339/);
  });
});
