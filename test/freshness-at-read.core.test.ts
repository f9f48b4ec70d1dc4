import fc from 'fast-check';
import type { RecordedEvent } from '../lambda/core/audit-trail';
import type { FreshnessRule } from '../lambda/core/config';
import { type FreshnessRecord, sourceFreshness } from '../lambda/core/freshness';
import { readCollection, readSource, type SourceRead } from '../lambda/core/freshness-at-read';
import { foldFreshness } from '../lambda/core/freshness-fold';
import type { LifecycleEventType } from '../lambda/core/job-state';
import { BASE, iso, job, MINUTE, readCaseArb, readCaseTrail, recorded, trailOf } from './helpers/audit-trail';

/**
 * Which events freshness at T reads (`core/freshness-at-read.ts`), on the in-memory table: what it reads
 * always determines both pasts' records (checked against folding every event of T's past), and what the
 * read costs, call by call, in the cases the design names (docs/DESIGN.md section 8, "Reading").
 */

const HOUR = 3_600_000;

/**
 * The record these events fold to and its view at T. The failure log is left out: reading stops after
 * FAILURE_LOG_CAP failures in a row, as many as the view counts, so a longer run leaves a log of other
 * failures with the same count.
 */
function registers(events: readonly RecordedEvent[], at: string) {
  const record = foldFreshness(events);
  if (record === undefined) return undefined;
  return {
    rest: { ...record, failure_log: undefined },
    view: sourceFreshness(record, RULES, new Date(Date.parse(at))),
  };
}
const RULES: FreshnessRule[] = [{ collection: '*', maxAge: 3 * 3600 }];

/** What was true at T (event time at or before T) and what the stack had been told (also received by T). */
function expectBothPasts(reads: readonly SourceRead[], events: readonly RecordedEvent[], at: string) {
  for (const { live, events: read } of reads) {
    const own = events.filter(
      (e) => e.source_key === live.source_key && e.collection_readable_id === live.collection_readable_id,
    );
    for (const e of read) {
      expect(e.timestamp <= at).toBe(true);
      expect([e.collection_readable_id, e.source_key]).toEqual([
        live.collection_readable_id,
        live.source_key,
      ]);
    }
    const past = own.filter((e) => e.timestamp <= at);
    expect(registers(read, at)).toEqual(registers(past, at));
    expect(
      registers(
        read.filter((e) => e.received_at <= at),
        at,
      ),
    ).toEqual(
      registers(
        past.filter((e) => e.received_at <= at),
        at,
      ),
    );
  }
}

/** Rounds of jobs an hour apart, each source a second after the previous one; `outcome(source, round)`. */
function rounds(
  sources: number,
  count: number,
  outcome: (source: number, round: number) => LifecycleEventType | undefined,
  delayMs = (_source: number, _round: number) => 0,
): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  for (let round = 0; round < count; round++)
    for (let source = 0; source < sources; source++)
      events.push(
        ...job(
          `s${source}-j${String(round).padStart(4, '0')}`,
          BASE + round * HOUR + source * 1000,
          outcome(source, round),
          { source: `src-${String(source).padStart(3, '0')}` },
          delayMs(source, round),
        ),
      );
  return events;
}

describe('a collection read: one page of its partition when the last jobs settle every source', () => {
  it('reads one page of five events a source (at least the first page), nothing else', async () => {
    const events = rounds(3, 10, () => 'sync.completed');
    const trail = await trailOf(events, { since: '' });
    const at = iso(BASE + 5.5 * HOUR);
    const reads = await readCollection({ history: trail.history }, await trail.live(), at);
    expectBothPasts(reads, events, at);
    expect(trail.calls).toEqual([{ method: 'collectionHistory', limit: 24, until: at, items: 24 }]);
  });

  it('a register the live record never moved needs no event: a source never run, one never ended', async () => {
    const events = [
      // `busy`: 40 jobs; `idle`: cancelled before running, twice; `open`: running, never ended.
      ...Array.from({ length: 40 }, (_, i) =>
        job(`busy${i}`, BASE + i * HOUR, 'sync.completed', { source: 'busy' }),
      ).flat(),
      recorded('sync.pending', 'idle1', BASE + 38 * HOUR, undefined, { source: 'idle' }),
      recorded('sync.cancelled', 'idle1', BASE + 38 * HOUR + MINUTE, undefined, { source: 'idle' }),
      recorded('sync.pending', 'idle2', BASE + 39 * HOUR, undefined, { source: 'idle' }),
      recorded('sync.cancelled', 'idle2', BASE + 39 * HOUR + MINUTE, undefined, { source: 'idle' }),
      ...job('open1', BASE + 39 * HOUR + 2 * MINUTE, undefined, { source: 'open' }),
    ];
    const trail = await trailOf(events, { since: '' });
    const at = iso(BASE + 40 * HOUR);
    const reads = await readCollection({ history: trail.history }, await trail.live(), at);
    expectBothPasts(reads, events, at);
    expect(trail.calls).toEqual([{ method: 'collectionHistory', limit: 24, until: at, items: 24 }]);
  });

  it('a live failure at T itself is T’s latest: no index read', async () => {
    const events = [
      ...Array.from({ length: 10 }, (_, i) => job(`ok${i}`, BASE + i * HOUR, 'sync.completed')).flat(),
      ...job('f', BASE + 10 * HOUR, 'sync.failed'),
    ];
    const at = events.at(-1)?.timestamp as string;
    const trail = await trailOf(events, { since: '' });
    const reads = await readCollection({ history: trail.history }, await trail.live(), at);
    expectBothPasts(reads, events, at);
    expect(trail.count()).toEqual({ collectionHistory: 1 });
  });

  it('a quiet source with nothing in the page reads its own history', async () => {
    const events = [
      recorded('sync.pending', 'q1', BASE, undefined, { source: 'quiet' }),
      ...Array.from({ length: 20 }, (_, i) =>
        job(`b${i}`, BASE + (i + 1) * HOUR, 'sync.completed', { source: 'busy' }),
      ).flat(),
    ];
    const trail = await trailOf(events);
    const at = iso(BASE + 30 * HOUR);
    const reads = await readCollection({ history: trail.history }, await trail.live(), at);
    expectBothPasts(reads, events, at);
    expect(trail.calls.filter((c) => c.method === 'sourceHistory').map((c) => c.sourceKey)).toEqual([
      'quiet',
    ]);
  });

  it('sizes the first page by the sources, up to a Query’s worth', async () => {
    const events = rounds(30, 4, () => 'sync.completed');
    const trail = await trailOf(events);
    const at = iso(BASE + 3.5 * HOUR);
    await readCollection({ history: trail.history }, await trail.live(), at);
    expect(trail.calls.map((c) => [c.method, c.limit])).toEqual([['collectionHistory', 150]]);
    const huge = await trailOf(events);
    await readCollection({ history: huge.history, firstPage: 100_000 }, await huge.live(), at);
    expect(huge.calls.map((c) => [c.method, c.limit])).toEqual([['collectionHistory', 1_500]]);
  });

  it('a history read to its end decides every source, even one whose live registers moved after T', async () => {
    // The only success of `late` is after T: below the floor there is nothing, so nothing more is read.
    const events = [
      ...job('a1', BASE, 'sync.completed', { source: 'a' }),
      ...['l1', 'l2', 'l3'].flatMap((late) => [
        ...job(`${late}-1`, BASE + MINUTE * 5, 'sync.cancelled', { source: late }),
        ...job(`${late}-2`, BASE + 2 * HOUR, 'sync.completed', { source: late }),
      ]),
    ];
    const trail = await trailOf(events, { since: '' });
    const at = iso(BASE + HOUR);
    const reads = await readCollection({ history: trail.history }, await trail.live(), at);
    expectBothPasts(reads, events, at);
    expect(trail.count()).toEqual({ collectionHistory: 1 });
  });

  it('skips events of a source it was not asked about (retired before T)', async () => {
    const events = [
      ...job('a1', BASE, 'sync.completed', { source: 'a' }),
      ...job('b1', BASE + MINUTE, 'sync.completed', { source: 'b' }),
    ];
    const trail = await trailOf(events);
    const at = iso(BASE + HOUR);
    const live = (await trail.live()).filter((r) => r.source_key === 'a');
    const reads = await readCollection({ history: trail.history }, live, at);
    expect(reads.map((r) => r.live.source_key)).toEqual(['a']);
    expectBothPasts(reads, events, at);
  });

  it('reads each source on its own when asked to (the benchmark’s comparison), pages doubling', async () => {
    const events = rounds(2, 3, () => 'sync.completed');
    const trail = await trailOf(events, { since: '' });
    const at = iso(BASE + 2.5 * HOUR);
    const reads = await readCollection(
      { history: trail.history, bySource: true, firstPage: 2 },
      await trail.live(),
      at,
    );
    expectBothPasts(reads, events, at);
    expect(trail.calls.every((c) => c.method === 'sourceHistory')).toBe(true);
    expect(trail.calls.map((c) => [c.sourceKey, c.limit])).toEqual([
      ['src-000', 2],
      ['src-001', 2],
    ]);
  });
});

describe('more pages of the collection only while more than a few sources stay undecided', () => {
  // 41 sources (a few: 3); `deep` sources succeeded only in round 0 and were cancelled since, so their
  // last success lies far below any page and no by-key read can find it.
  const deepRounds = (deep: number) =>
    rounds(41, 13, (source, round) => (source < deep && round > 0 ? 'sync.cancelled' : 'sync.completed'));
  // 1,599 events: three pages (205, 410, 820) do not reach the end.
  const at = iso(BASE + 12.5 * HOUR);

  it('three undecided of 41: one page, then those three read their own history', async () => {
    const events = deepRounds(3);
    const trail = await trailOf(events, { since: '' });
    const reads = await readCollection({ history: trail.history }, await trail.live(), at);
    expectBothPasts(reads, events, at);
    expect(trail.calls.filter((c) => c.method === 'collectionHistory').map((c) => c.limit)).toEqual([205]);
    expect(new Set(trail.calls.filter((c) => c.method === 'sourceHistory').map((c) => c.sourceKey))).toEqual(
      new Set(['src-000', 'src-001', 'src-002']),
    );
    // Their own reads start at the shared floor and double, down to round 0.
    const own = trail.calls.filter((c) => c.sourceKey === 'src-000');
    expect(own.map((c) => c.limit)).toEqual([24, 48]);
    expect((own[0]?.until ?? at) < at).toBe(true);
  });

  it('a running below the page counts as read, since it will be read by key: one page, one batch', async () => {
    // Each source ran a job at hour 0 and has only been cancelled before running since.
    const events = Array.from({ length: 41 }, (_, source) => {
      const shape = { source: `src-${String(source).padStart(3, '0')}` };
      return [
        ...job(`s${source}-run`, BASE + source * 1000, 'sync.cancelled', shape),
        ...Array.from({ length: 5 }, (_, i) => [
          recorded(
            'sync.pending',
            `s${source}-p${i}`,
            BASE + (i + 1) * HOUR + source * 1000,
            undefined,
            shape,
          ),
          recorded(
            'sync.cancelled',
            `s${source}-p${i}`,
            BASE + (i + 1) * HOUR + source * 1000 + 1,
            undefined,
            shape,
          ),
        ]).flat(),
      ];
    }).flat();
    const trail = await trailOf(events, { since: '' });
    const at = iso(BASE + 10 * HOUR);
    const reads = await readCollection({ history: trail.history }, await trail.live(), at);
    expectBothPasts(reads, events, at);
    expect(trail.calls.map((c) => [c.method, c.items])).toEqual([
      ['collectionHistory', 205],
      ['auditEvents', 41],
    ]);
  });

  it('four undecided of 41: up to three pages, each twice the last', async () => {
    const events = deepRounds(4);
    const trail = await trailOf(events, { since: '' });
    const reads = await readCollection({ history: trail.history }, await trail.live(), at);
    expectBothPasts(reads, events, at);
    expect(trail.calls.filter((c) => c.method === 'collectionHistory').map((c) => c.limit)).toEqual([
      205, 410, 820,
    ]);
  });
});

describe('the failure index', () => {
  // Ten sources, each failing twice: once long before T, once after T, so the live record cannot say.
  const failingFarBack = () => {
    const all: RecordedEvent[] = [];
    for (let source = 0; source < 10; source++) {
      const failing = new Set([(source * 3) % 15, 25 + source]);
      for (let i = 0; i < 40; i++)
        all.push(
          ...job(
            `s${source}-j${String(i).padStart(3, '0')}`,
            BASE + i * HOUR + source * MINUTE,
            failing.has(i) ? 'sync.failed' : 'sync.completed',
            {
              source: `conn-${source}`,
            },
          ),
        );
    }
    return all;
  };
  const at = iso(BASE + 20.5 * HOUR);

  it('finds each source’s latest failure at T far below the page: one index page and one batch of lookups', async () => {
    const events = failingFarBack();
    const trail = await trailOf(events, { since: '' });
    const reads = await readCollection({ history: trail.history }, await trail.live(), at);
    expectBothPasts(reads, events, at);
    expect(trail.calls).toEqual([
      { method: 'failureIndexSince', items: 1 },
      { method: 'collectionHistory', limit: 50, until: at, items: 50 },
      { method: 'failures', from: '', until: at, limit: 1_000, items: 10 },
      { method: 'auditEvents', items: 10 },
    ]);
  });

  it('is not relied on without its META item, nor when it starts after T: sources read their own history', async () => {
    for (const since of [undefined, iso(BASE + 21 * HOUR)]) {
      const events = failingFarBack();
      const trail = await trailOf(events, since === undefined ? {} : { since });
      const reads = await readCollection({ history: trail.history }, await trail.live(), at);
      expectBothPasts(reads, events, at);
      expect(trail.count()).toMatchObject({ failureIndexSince: 1, collectionHistory: 3 });
      expect(trail.count().failures).toBeUndefined();
      expect(trail.count().sourceHistory).toBeGreaterThan(0);
    }
  });

  it('is relied on from the time it starts, T included', async () => {
    const events = failingFarBack();
    const trail = await trailOf(events, { since: at });
    await readCollection({ history: trail.history }, await trail.live(), at);
    expect(trail.calls.find((c) => c.method === 'failures')).toMatchObject({ from: at, until: at });
  });

  it('a source with no failure in an index that starts with the table had none: nothing more is read', async () => {
    const events = [
      ...job('a1', BASE, 'sync.completed', { source: 'a' }),
      ...Array.from({ length: 30 }, (_, i) =>
        job(`a${i + 2}`, BASE + (i + 1) * HOUR, 'sync.completed', { source: 'a' }),
      ).flat(),
      ...job('a99', BASE + 40 * HOUR, 'sync.failed', { source: 'a' }),
    ];
    const at1 = iso(BASE + 20.5 * HOUR);
    const trail = await trailOf(events, { since: '' });
    const reads = await readCollection({ history: trail.history }, await trail.live(), at1);
    expectBothPasts(reads, events, at1);
    expect(trail.count()).toEqual({ failureIndexSince: 1, collectionHistory: 1, failures: 1 });
    // From some time on only: the index cannot say there was none before, so the source reads its history.
    const partial = await trailOf(events, { since: iso(BASE + HOUR) });
    const again = await readCollection({ history: partial.history }, await partial.live(), at1);
    expectBothPasts(again, events, at1);
    expect(partial.count().sourceHistory).toBeGreaterThan(0);
  });

  it('a source whose live latest failure is at or before T needs no index', async () => {
    const events = [
      ...job('a1', BASE, 'sync.failed', { source: 'a' }),
      ...job('a2', BASE + HOUR, 'sync.completed', { source: 'a' }),
      ...job('b1', BASE + 2 * MINUTE, 'sync.completed', { source: 'b' }),
    ];
    const trail = await trailOf(events, { since: '' });
    const at2 = iso(BASE + 2 * HOUR);
    const reads = await readCollection({ history: trail.history }, await trail.live(), at2);
    expectBothPasts(reads, events, at2);
    expect(trail.count()).toEqual({ collectionHistory: 1 });
  });

  it('a failure delivered after T: what was true names it, what the stack was told names the one before', async () => {
    const events = [
      ...job('old', BASE, 'sync.failed', { source: 'a' }),
      ...Array.from({ length: 20 }, (_, i) =>
        job(`ok${i}`, BASE + (i + 1) * HOUR, 'sync.completed', { source: 'a' }),
      ).flat(),
      // Failed just before T, delivered an hour after it.
      ...job('late', BASE + 30 * HOUR, 'sync.failed', { source: 'a' }, 0).slice(0, 2),
      recorded('sync.failed', 'late', BASE + 30 * HOUR + 2 * MINUTE, BASE + 32 * HOUR, { source: 'a' }),
      ...Array.from({ length: 10 }, (_, i) =>
        job(`more${i}`, BASE + (i + 31) * HOUR, 'sync.completed', { source: 'a' }),
      ).flat(),
      ...job('after', BASE + 50 * HOUR, 'sync.failed', { source: 'a' }),
    ];
    const t = iso(BASE + 31 * HOUR + 30 * MINUTE);
    const trail = await trailOf(events, { since: '' });
    const reads = await readCollection({ history: trail.history, firstPage: 4 }, await trail.live(), t);
    expectBothPasts(reads, events, t);
    expect(trail.calls.find((c) => c.method === 'failures')).toMatchObject({ items: 2 });
    // `late` is in the page; `old` (what the stack had been told at T) is read by key; nothing else.
    expect(trail.count()).toEqual({
      failureIndexSince: 1,
      collectionHistory: 1,
      failures: 1,
      auditEvents: 1,
    });
    expect(trail.calls.find((c) => c.method === 'auditEvents')).toMatchObject({ items: 1 });
  });

  it('the index names each past’s failure below the page, and says when the stack had been told of none', async () => {
    const at = BASE + 40 * HOUR;
    const late = (id: string, ms: number, source: string) => [
      ...job(id, ms, undefined, { source }),
      recorded('sync.failed', id, ms + 2 * MINUTE, at + HOUR, { source }),
    ];
    const events = [
      ...job('a-f1', BASE, 'sync.failed', { source: 'a' }),
      ...late('a-f2', BASE + HOUR, 'a'),
      ...late('b-f1', BASE + HOUR, 'b'),
      ...Array.from({ length: 20 }, (_, i) =>
        job(`a-ok${i}`, BASE + (i + 5) * HOUR, 'sync.completed', { source: 'a' }),
      ).flat(),
      ...Array.from({ length: 20 }, (_, i) =>
        job(`b-ok${i}`, BASE + (i + 5) * HOUR + 1000, 'sync.completed', { source: 'b' }),
      ).flat(),
      ...job('a-after', BASE + 50 * HOUR, 'sync.failed', { source: 'a' }),
      ...job('b-after', BASE + 50 * HOUR, 'sync.failed', { source: 'b' }),
    ];
    const trail = await trailOf(events, { since: '' });
    const reads = await readCollection({ history: trail.history }, await trail.live(), iso(at));
    expectBothPasts(reads, events, iso(at));
    // a: a-f2 (true) and a-f1 (told); b: b-f1 (true), none told. One batch, no source read on its own.
    expect(trail.calls.filter((c) => c.method === 'auditEvents').map((c) => c.items)).toEqual([3]);
    expect(trail.count().sourceHistory).toBeUndefined();
  });

  it('pages through a long index (1,000 a page) to a source’s latest failure, and gives up after four pages', async () => {
    const failures = (source: string, count: number, fromMs: number) =>
      Array.from({ length: count }, (_, i) =>
        recorded('sync.failed', `${source}-f${i}`, fromMs + i * 1000, fromMs + i * 1000, { source }),
      );
    const tail = [
      recorded('sync.failed', 'a-after', BASE + 100 * HOUR, BASE + 100 * HOUR, { source: 'a' }),
      recorded('sync.failed', 'b-after', BASE + 100 * HOUR, BASE + 100 * HOUR, { source: 'b' }),
    ];
    const at3 = iso(BASE + 50 * HOUR);
    for (const [count, pages] of [
      [1_500, 2],
      [4_500, 4],
    ] as const) {
      // `b` also completed a job just before T (in the collection's first page).
      const events = [
        ...failures('b', 1, BASE),
        ...failures('a', count, BASE + HOUR),
        ...job('b-ok', BASE + 49 * HOUR, 'sync.completed', { source: 'b' }),
        ...tail,
      ];
      const trail = await trailOf(events, { since: '' });
      const reads = await readCollection({ history: trail.history }, await trail.live(), at3);
      expectBothPasts(reads, events, at3);
      expect(trail.calls.filter((c) => c.method === 'failures').map((c) => c.limit)).toEqual(
        Array(pages).fill(1_000),
      );
      // Found (two pages): `b`'s failure is read by key. Not found (four pages): it is left to `b`'s own read.
      expect(trail.calls.filter((c) => c.method === 'auditEvents').map((c) => c.items)).toEqual(
        pages === 2 ? [1] : [],
      );
      expect(trail.calls.some((c) => c.sourceKey === 'b')).toBe(pages === 4);
    }
  });

  it('stops at the first index page that names every source’s latest failure', async () => {
    const events = [
      ...Array.from({ length: 1_500 }, (_, i) =>
        recorded('sync.failed', `a-f${i}`, BASE + i * 1000, BASE + i * 1000, { source: 'a' }),
      ),
      recorded('sync.failed', 'b-f', BASE + 2 * HOUR, BASE + 2 * HOUR, { source: 'b' }),
      recorded('sync.failed', 'a-after', BASE + 100 * HOUR, BASE + 100 * HOUR, { source: 'a' }),
      recorded('sync.failed', 'b-after', BASE + 100 * HOUR, BASE + 100 * HOUR, { source: 'b' }),
    ];
    const trail = await trailOf(events, { since: '' });
    await readCollection({ history: trail.history }, await trail.live(), iso(BASE + 50 * HOUR));
    expect(trail.calls.filter((c) => c.method === 'failures')).toHaveLength(1);
  });
});

describe('received at T itself is received by T', () => {
  it('an event read in the page', async () => {
    // Cancelled jobs since an old success; the last job completed just before T, delivered at T.
    const at = BASE + 20 * HOUR;
    const events = [
      ...job('old', BASE, 'sync.completed'),
      ...Array.from({ length: 18 }, (_, i) => job(`x${i}`, BASE + (i + 1) * HOUR, 'sync.cancelled')).flat(),
      ...job('last', BASE + 19 * HOUR, undefined),
      recorded('sync.completed', 'last', BASE + 19 * HOUR + 2 * MINUTE, at),
    ];
    const trail = await trailOf(events);
    const reads = await readCollection({ history: trail.history }, await trail.live(), iso(at));
    expectBothPasts(reads, events, iso(at));
    expect(trail.count()).toEqual({ collectionHistory: 1 });
  });

  it('a failure in the index: the one it names for both pasts, one lookup', async () => {
    const at = BASE + 40 * HOUR;
    const events = [
      ...job('f0', BASE, 'sync.failed'),
      // Failed at 1h, delivered at T itself.
      ...job('f1', BASE + HOUR, undefined),
      recorded('sync.failed', 'f1', BASE + HOUR + 2 * MINUTE, at),
      ...Array.from({ length: 30 }, (_, i) => job(`ok${i}`, BASE + (i + 5) * HOUR, 'sync.completed')).flat(),
      ...job('after', BASE + 50 * HOUR, 'sync.failed'),
    ];
    const trail = await trailOf(events, { since: '' });
    const reads = await readCollection({ history: trail.history }, await trail.live(), iso(at));
    expectBothPasts(reads, events, iso(at));
    expect(trail.calls.filter((c) => c.method === 'auditEvents').map((c) => c.items)).toEqual([1]);
    expect(trail.count().sourceHistory).toBeUndefined();
  });
});

describe('a source read on its own', () => {
  it('a run of failures, never a success, is counted back to the log’s cap, not to its start', async () => {
    const events = [
      ...job('first', BASE, 'sync.cancelled'),
      ...Array.from({ length: 300 }, (_, i) => recorded('sync.failed', `f${i}`, BASE + (i + 1) * MINUTE)),
    ];
    const trail = await trailOf(events);
    const [live] = await trail.live();
    const at = iso(BASE + HOUR * 10);
    const read = await readSource(trail.history, live as FreshnessRecord, at, 24);
    expectBothPasts([read], events, at);
    // 24 + 48 = 72 failures, then 96 more: past the cap (100), far from the first job 301 events down.
    expect(trail.calls.filter((c) => c.method === 'sourceHistory').map((c) => c.limit)).toEqual([24, 48, 96]);
    // Of the first job, only its running (the live latest running), read by key.
    expect(read.events.filter((e) => e.sync_job_id === 'first').map((e) => e.event_type)).toEqual([
      'sync.running',
    ]);
  });

  it('pages newest first from T, doubling from the first page up to 400, until its last success', async () => {
    // One success, then 200 cancelled jobs: the success is 601 events down.
    const events = [
      ...job('j0', BASE, 'sync.completed'),
      ...Array.from({ length: 200 }, (_, i) =>
        job(`j${i + 1}`, BASE + (i + 1) * HOUR, 'sync.cancelled'),
      ).flat(),
    ];
    const trail = await trailOf(events);
    const [live] = await trail.live();
    const at = iso(BASE + 400 * HOUR);
    const read = await readSource(trail.history, live as FreshnessRecord, at, 1);
    expectBothPasts([read], events, at);
    expect(trail.calls.filter((c) => c.method === 'sourceHistory').map((c) => c.limit)).toEqual([
      1, 2, 4, 8, 16, 32, 64, 128, 256, 400,
    ]);
    // One lookup, after the first page (one event, the last job's cancel): that job's running.
    expect(trail.calls.filter((c) => c.method === 'auditEvents').map((c) => c.items)).toEqual([1]);
  });

  it('stops as soon as it knows: one page, then the lookups of the latest failure and running', async () => {
    // Jobs pending since the latest running (below the first page), the latest failure far below: both
    // are read by key after the first page; the second reaches the last success.
    const events = [
      ...job('f', BASE, 'sync.failed'),
      ...Array.from({ length: 50 }, (_, i) => job(`j${i}`, BASE + (i + 1) * HOUR, 'sync.completed')).flat(),
      recorded('sync.running', 'now', BASE + 60 * HOUR),
      ...Array.from({ length: 30 }, (_, i) =>
        recorded('sync.pending', `p${i}`, BASE + 61 * HOUR + i * MINUTE),
      ),
    ];
    const trail = await trailOf(events);
    const [live] = await trail.live();
    const at = iso(BASE + 99 * HOUR);
    const read = await readSource(trail.history, live as FreshnessRecord, at, 24);
    expectBothPasts([read], events, at);
    expect(trail.calls.map((c) => c.method)).toEqual(['sourceHistory', 'auditEvents', 'sourceHistory']);
  });

  it('a page that cuts a job in two: its running is read by key before stopping', async () => {
    // Newest first: c pending, a completed, b pending | a running, a pending.
    const events = [
      recorded('sync.pending', 'a', BASE),
      recorded('sync.running', 'a', BASE + MINUTE),
      recorded('sync.pending', 'b', BASE + 2 * MINUTE),
      recorded('sync.completed', 'a', BASE + 3 * MINUTE),
      recorded('sync.pending', 'c', BASE + 4 * MINUTE),
    ];
    const trail = await trailOf(events);
    const [live] = await trail.live();
    const at = iso(BASE + HOUR);
    const read = await readSource(trail.history, live as FreshnessRecord, at, 3);
    expectBothPasts([read], events, at);
    expect(trail.calls.map((c) => [c.method, c.items])).toEqual([
      ['sourceHistory', 3],
      ['auditEvents', 1],
    ]);
  });

  it('an older terminal state below the page is read, not assumed', async () => {
    const events = [
      ...job('j1', BASE, 'sync.cancelled'),
      ...job('j2', BASE + HOUR, undefined),
      recorded('sync.pending', 'j3', BASE - HOUR),
    ];
    const trail = await trailOf(events);
    const [live] = await trail.live();
    const at = iso(BASE + 2 * HOUR);
    const read = await readSource(trail.history, live as FreshnessRecord, at, 2);
    expectBothPasts([read], events, at);
    expect(read.events.map((e) => e.sync_job_id)).toContain('j1');
  });

  it('a legacy source key shared with another collection: pages of the other collection’s events come back empty', async () => {
    const events = [
      ...job('c1', BASE, 'sync.completed', { collection: 'c' }),
      ...Array.from({ length: 20 }, (_, i) =>
        job(`d${i}`, BASE + (i + 1) * HOUR, 'sync.completed', { collection: 'd' }),
      ).flat(),
    ];
    const trail = await trailOf(events);
    const [live] = await trail.live('c');
    const at = iso(BASE + 30 * HOUR);
    const read = await readSource(trail.history, live as FreshnessRecord, at, 4);
    expectBothPasts([read], events, at);
    expect(read.events.map((e) => e.sync_job_id)).toEqual(['c1', 'c1', 'c1']);
  });

  it('ignores a lookup that names another source’s event, or another collection’s (a job id reused)', async () => {
    for (const other of [{ source: 'b' }, { collection: 'd' }]) {
      const events = [
        ...job('shared', BASE, 'sync.completed', other),
        ...job('shared', BASE + HOUR, 'sync.completed', { source: 'a' }),
        ...Array.from({ length: 30 }, (_, i) =>
          recorded('sync.pending', `p${i}`, BASE + 2 * HOUR + i * MINUTE, undefined, { source: 'a' }),
        ),
      ];
      const trail = await trailOf(events);
      const live = (await trail.live()).find((r) => r.source_key === 'a') as FreshnessRecord;
      const read = await readSource(trail.history, live, iso(BASE + 3 * HOUR), 4);
      expect(read.events.every((e) => e.source_key === 'a' && e.collection_readable_id === 'c')).toBe(true);
      // The lookup was made, and found the other's event.
      expect(trail.calls.filter((c) => c.method === 'auditEvents')).toHaveLength(1);
    }
  });

  it('the lookups alone can settle a source: one page, one batch, no more', async () => {
    const events = [
      ...job('f', BASE, 'sync.failed'),
      ...Array.from({ length: 40 }, (_, i) => job(`ok${i}`, BASE + (i + 1) * HOUR, 'sync.completed')).flat(),
    ];
    const trail = await trailOf(events);
    const [live] = await trail.live();
    const at = iso(BASE + 50 * HOUR);
    const read = await readSource(trail.history, live as FreshnessRecord, at, 24);
    expectBothPasts([read], events, at);
    expect(trail.calls.map((c) => [c.method, c.items])).toEqual([
      ['sourceHistory', 24],
      ['auditEvents', 1],
    ]);
  });

  it('a failure the live record names but the trail no longer holds: what the trail holds decides', async () => {
    const events = [
      ...job('f', BASE, 'sync.failed'),
      ...Array.from({ length: 20 }, (_, i) => job(`ok${i}`, BASE + (i + 1) * HOUR, 'sync.completed')).flat(),
    ];
    const trail = await trailOf(events);
    const failed = events.find((e) => e.state === 'failed') as RecordedEvent;
    await trail.stores.recorder.withdrawAuditEvent(failed);
    const [live] = await trail.live();
    const at = iso(BASE + 30 * HOUR);
    const read = await readSource(trail.history, live as FreshnessRecord, at, 24);
    expectBothPasts(
      [read],
      events.filter((e) => e !== failed),
      at,
    );
    expect(trail.calls.filter((c) => c.method === 'auditEvents')).toHaveLength(1);
  });
});

describe('what is read always determines both pasts', () => {
  it('for random collections, pages, T and failure indexes', async () => {
    await fc.assert(
      fc.asyncProperty(readCaseArb(30), fc.integer({ min: 1, max: 6 }), async (c, page) => {
        const { events, at, trail } = await readCaseTrail(c);
        const reads = await readCollection(
          { history: trail.history, firstPage: page },
          await trail.live(),
          at,
        );
        expectBothPasts(reads, events, at);
        // And a source read on its own, as the sources a collection read leaves undecided are.
        const [first] = await trail.live();
        expectBothPasts([await readSource(trail.history, first as FreshnessRecord, at, page)], events, at);
      }),
      { numRuns: 60 },
    );
  });
});
