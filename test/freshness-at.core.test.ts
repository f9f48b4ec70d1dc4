import fc from 'fast-check';
import type { FreshnessRule } from '../lambda/core/config';
import type { SyncEvent } from '../lambda/core/events';
import type { FreshnessRecord } from '../lambda/core/freshness';
import {
  atProblem,
  type AuditHistory,
  type HistoryPage,
  type RecordedEvent,
  sourceAt,
} from '../lambda/core/freshness-at';
import { foldFreshness } from '../lambda/core/freshness-fold';
import { type LifecycleEventType, stateOf } from '../lambda/core/job-state';

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

  constructor(events: readonly RecordedEvent[]) {
    this.newestFirst = [...events].sort((a, b) => sortKey(b).localeCompare(sortKey(a)));
  }

  sourceHistory(query: { until: string; limit: number; cursor?: unknown }): Promise<HistoryPage> {
    this.pages++;
    const from = (query.cursor as number | undefined) ?? 0;
    const eligible = this.newestFirst.filter((e) => e.timestamp <= query.until);
    const events = eligible.slice(from, from + query.limit);
    this.itemsRead += events.length;
    const next = from + query.limit;
    return Promise.resolve(next < eligible.length ? { events, next } : { events });
  }

  auditEvent(jobId: string, eventType: LifecycleEventType): Promise<RecordedEvent | undefined> {
    this.gets++;
    return Promise.resolve(
      this.newestFirst.find((e) => e.sync_job_id === jobId && e.event_type === eventType),
    );
  }

  firstEvent(): Promise<RecordedEvent | undefined> {
    return Promise.resolve(this.newestFirst.at(-1));
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
