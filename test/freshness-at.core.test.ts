import fc from 'fast-check';
import type { FreshnessRule } from '../lambda/core/config';
import { BadRequestError, NotFoundError } from '../lambda/core/errors';
import type { FreshnessRecord } from '../lambda/core/freshness';
import {
  allFreshnessAt,
  atProblem,
  collectionFreshnessAt,
  type FreshnessAtDeps,
  parseAt,
} from '../lambda/core/freshness-at';
import { keys, lifecycleKeys } from '../lambda/core/table-schema';
import { BASE, iso, job, MINUTE, readCaseArb, readCaseTrail, recorded, trailOf } from './helpers/audit-trail';

/**
 * Freshness at T as the route and the CLI give it (`core/freshness-at.ts`), on the in-memory table: the
 * status rule at T for both pasts, the lifecycle registers at T, unknown with its reason, retired sources,
 * the collection and every-collection views, and T itself. (Which events are read, and what that costs:
 * `freshness-at-read.core.test.ts`; against the real engine and the live stack: `freshness-at.property.test.ts`.)
 */

const HOUR = 3_600_000;
const rules: FreshnessRule[] = [{ collection: '*', maxAge: 3 * 3600 }];
type Trail = Awaited<ReturnType<typeof trailOf>>;

/**
 * The deps over a trail. `lifecycle` sets the live lifecycle registers the reconciler keeps (not in the
 * trail); the live records come back in reverse, so the order of the answer is the rebuild's own.
 */
function depsOf(
  trail: Trail,
  options: {
    lifecycle?: Record<
      string,
      Partial<Pick<FreshnessRecord, 'registered_at' | 'verified_at' | 'retired_at'>>
    >;
    now?: number;
    retentionDays?: number;
  } = {},
): FreshnessAtDeps {
  const shaped = (records: FreshnessRecord[]) =>
    records.map((r) => ({ ...r, ...options.lifecycle?.[r.source_key] })).reverse();
  return {
    freshness: {
      collectionFreshness: async (collection) =>
        shaped(await trail.stores.freshness.collectionFreshness(collection)),
      allFreshness: async () => shaped(await trail.stores.freshness.allFreshness()),
    },
    history: trail.history,
    rules,
    retentionDays: options.retentionDays ?? 3650,
    now: () => new Date(options.now ?? BASE + 400 * 86_400_000),
  };
}

describe('one source at T: the live status rule over the events of T’s past', () => {
  it('a failure delivered after T: what was true is failed, what the stack had said is fresh', async () => {
    const events = [
      ...job('ok', BASE, 'sync.completed', { source: 'a' }),
      ...job('bad', BASE + HOUR, undefined, { source: 'a' }),
      recorded('sync.failed', 'bad', BASE + HOUR + 2 * MINUTE, BASE + 3 * HOUR, { source: 'a' }),
    ];
    const trail = await trailOf(events);
    const at = iso(BASE + 2 * HOUR);
    const answer = await collectionFreshnessAt(depsOf(trail), 'c', at);
    const [source] = answer.sources;
    expect(source).toMatchObject({
      status: 'failed',
      last_error: 'error of bad',
      known_at_t: false,
      as_known_at_t: { status: 'syncing', last_job_id: 'bad', last_error: null },
      deciding_event: { sync_job_id: 'bad', event_type: 'sync.failed', known_at_t: false },
    });
    expect(answer.stale).toBe(true);
    expect(source?.evidence.map((e) => [e.sync_job_id, e.event_type])).toContainEqual([
      'ok',
      'sync.completed',
    ]);
  });

  it('every event received by T: one answer, known at T, no second one', async () => {
    const trail = await trailOf(job('ok', BASE, 'sync.completed', { source: 'a' }));
    const [source] = (await collectionFreshnessAt(depsOf(trail), 'c', iso(BASE + HOUR))).sources;
    expect(source).toMatchObject({
      status: 'fresh',
      known_at_t: true,
      deciding_event: { sync_job_id: 'ok' },
    });
    expect(source).not.toHaveProperty('as_known_at_t');
    expect(source).not.toHaveProperty('reason');
  });

  it('events late but telling the same story: no second answer', async () => {
    // The pending is late, but the record and its view at T do not depend on it.
    const events = [
      recorded('sync.pending', 'ok', BASE, BASE + 90 * MINUTE, { source: 'a' }),
      recorded('sync.running', 'ok', BASE + MINUTE, BASE + MINUTE, { source: 'a' }),
      recorded('sync.completed', 'ok', BASE + 2 * MINUTE, BASE + 2 * MINUTE, { source: 'a' }),
    ];
    const [source] = (await collectionFreshnessAt(depsOf(await trailOf(events)), 'c', iso(BASE + HOUR)))
      .sources;
    expect(source).toMatchObject({ status: 'fresh', known_at_t: true });
    expect(source).not.toHaveProperty('as_known_at_t');
  });

  it('nothing of the source received by T: the stack had said nothing (null)', async () => {
    const events = job('ok', BASE, 'sync.completed', { source: 'a' }, 2 * HOUR);
    const [source] = (await collectionFreshnessAt(depsOf(await trailOf(events)), 'c', iso(BASE + HOUR)))
      .sources;
    expect(source).toMatchObject({ status: 'fresh', known_at_t: false, as_known_at_t: null });
  });
});

describe('what the trail cannot say', () => {
  it('before a source’s first event: unknown, with when that event is', async () => {
    const trail = await trailOf(job('j1', BASE + HOUR, 'sync.completed', { source: 'a' }));
    const at = iso(BASE);
    const [source] = (await collectionFreshnessAt(depsOf(trail), 'c', at)).sources;
    expect(source).toEqual(
      expect.objectContaining({
        status: 'unknown',
        known_at_t: true,
        deciding_event: null,
        evidence: [],
        last_success_at: null,
        reason: {
          code: 'before_first_event',
          message: `no event of this source at or before ${at}; its first recorded event is at ${iso(BASE + HOUR)}`,
          first_event_at: iso(BASE + HOUR),
        },
      }),
    );
  });

  it('a source whose events are all gone from the trail: unknown, nothing recorded', async () => {
    const events = job('j1', BASE, 'sync.completed', { source: 'a' });
    const trail = await trailOf(events);
    for (const event of events) await trail.stores.recorder.withdrawAuditEvent(event);
    const [source] = (await collectionFreshnessAt(depsOf(trail), 'c', iso(BASE + HOUR))).sources;
    expect(source).toMatchObject({
      status: 'unknown',
      reason: {
        code: 'before_first_event',
        message: 'no event of this source is recorded',
        first_event_at: null,
      },
    });
  });

  it('before the retention window: every source unknown, with when the window starts, and nothing read', async () => {
    const trail = await trailOf([
      ...job('a1', BASE, 'sync.completed', { source: 'a' }),
      ...job('b1', BASE, 'sync.failed', { source: 'b' }),
    ]);
    const now = BASE + 40 * 86_400_000;
    const horizon = iso(BASE + 10 * 86_400_000);
    const before = iso(BASE + 10 * 86_400_000 - 1);
    const answer = await collectionFreshnessAt(depsOf(trail, { now, retentionDays: 30 }), 'c', before);
    expect(answer.stale).toBe(false);
    expect(answer.sources.map((s) => [s.source_connection_id, s.status, s.reason])).toEqual(
      ['a', 'b'].map((source) => [
        source,
        'unknown',
        {
          code: 'before_retention',
          message: `${before} is before the retention window: audit events are kept 30 days, since ${horizon}`,
          retained_since: horizon,
        },
      ]),
    );
    expect(trail.calls).toEqual([]);
    // From the window's first instant on, the trail answers.
    const at = await collectionFreshnessAt(depsOf(trail, { now, retentionDays: 30 }), 'c', horizon);
    expect(at.sources.map((s) => s.status)).toEqual(['stale', 'failed']);
  });
});

describe('the lifecycle registers at T (kept on the live record only)', () => {
  const events = [
    ...job('a1', BASE, 'sync.completed', { source: 'a' }),
    ...job('b1', BASE, 'sync.completed', { source: 'b' }),
  ];

  it('each is its live value when at or before T, and null otherwise', async () => {
    const trail = await trailOf(events);
    const at = iso(BASE + HOUR);
    const lifecycle = {
      a: { registered_at: iso(BASE - HOUR), verified_at: at, retired_at: iso(BASE + HOUR + 1) },
      b: { registered_at: iso(BASE + HOUR + 1), verified_at: iso(BASE + 2 * HOUR) },
    };
    const answer = await collectionFreshnessAt(depsOf(trail, { lifecycle }), 'c', at);
    expect(answer.sources.map((s) => [s.source_connection_id, s.verified_at, s.retired_at])).toEqual([
      ['a', at, null],
      ['b', null, null],
    ]);
  });

  it('listed before T but no job yet: the SLA runs from the listing', async () => {
    const trail = await trailOf(job('later', BASE + 10 * HOUR, 'sync.completed', { source: 'a' }));
    const lifecycle = { a: { registered_at: iso(BASE) } };
    const deps = depsOf(trail, { lifecycle });
    const early = (await collectionFreshnessAt(deps, 'c', iso(BASE + HOUR))).sources[0];
    expect(early).toEqual(
      expect.objectContaining({ status: 'unknown', known_at_t: true, deciding_event: null, evidence: [] }),
    );
    expect(early).not.toHaveProperty('reason');
    const late = (await collectionFreshnessAt(deps, 'c', iso(BASE + 4 * HOUR))).sources[0];
    expect(late).toMatchObject({ status: 'stale', known_at_t: true });
    expect(trail.count().firstEvent).toBeUndefined();
  });

  it('retired before T, no job yet: listed with its retirement when asked for all', async () => {
    const trail = await trailOf(job('later', BASE + 10 * HOUR, 'sync.completed', { source: 'a' }));
    const lifecycle = { a: { retired_at: iso(BASE) } };
    const answer = await collectionFreshnessAt(depsOf(trail, { lifecycle }), 'c', iso(BASE + HOUR), true);
    expect(answer.sources).toEqual([
      expect.objectContaining({ retired_at: iso(BASE), known_at_t: true, evidence: [] }),
    ]);
    expect(answer.sources[0]).not.toHaveProperty('reason');
  });
});

describe('a collection at T', () => {
  const events = [
    ...job('b1', BASE, 'sync.completed', { source: 'b', type: 'slack' }),
    ...job('a1', BASE, 'sync.completed', { source: 'a', type: 'slack' }),
    ...job('z1', BASE, 'sync.failed', { source: 'z', type: 'asana' }),
  ];
  const at = iso(BASE + HOUR);

  it('is named by whichever source’s events carried the name, or not at all', async () => {
    // `n` sorts first (its type), and has no name.
    const unnamed = job('n1', BASE, 'sync.completed', { source: 'n', name: '', type: 'airtable' });
    const none = await collectionFreshnessAt(depsOf(await trailOf(unnamed)), 'c', at);
    expect(none.collection_name).toBe('');
    const named = await collectionFreshnessAt(depsOf(await trailOf([...unnamed, ...events])), 'c', at);
    expect(named.collection_name).toBe('C');
  });

  it('is a 404 for a collection never seen', async () => {
    const deps = depsOf(await trailOf(events));
    await expect(collectionFreshnessAt(deps, 'nope', at)).rejects.toThrow(
      new NotFoundError('no events recorded for collection nope'),
    );
  });

  it('lists sources by type, then key, with the collection’s name, stale when one failed', async () => {
    const answer = await collectionFreshnessAt(depsOf(await trailOf(events)), 'c', at);
    expect(answer).toMatchObject({ at, collection_readable_id: 'c', collection_name: 'C', stale: true });
    expect(answer.sources.map((s) => [s.source_type, s.source_connection_id, s.status])).toEqual([
      ['asana', 'z', 'failed'],
      ['slack', 'a', 'fresh'],
      ['slack', 'b', 'fresh'],
    ]);
  });

  it('a source retired by T is hidden unless all are asked for, and no longer makes the collection stale', async () => {
    const trail = await trailOf(events);
    const lifecycle = { z: { retired_at: iso(BASE + 30 * MINUTE) }, a: { retired_at: iso(BASE + 2 * HOUR) } };
    const shown = await collectionFreshnessAt(depsOf(trail, { lifecycle }), 'c', at);
    expect(shown.sources.map((s) => s.source_connection_id)).toEqual(['a', 'b']);
    expect(shown.stale).toBe(false);
    const all = await collectionFreshnessAt(depsOf(trail, { lifecycle }), 'c', at, true);
    expect(all.sources.map((s) => [s.source_connection_id, s.retired_at])).toEqual([
      ['z', iso(BASE + 30 * MINUTE)],
      ['a', null],
      ['b', null],
    ]);
    expect(all.stale).toBe(true);
  });

  it('is stale when a source is past its SLA, not when every source is fresh', async () => {
    const trail = await trailOf([
      ...job('a1', BASE, 'sync.completed', { source: 'a' }),
      ...job('b1', BASE + 3 * HOUR, 'sync.completed', { source: 'b' }),
    ]);
    const fresh = await collectionFreshnessAt(depsOf(trail), 'c', iso(BASE + 3 * HOUR + 5 * MINUTE));
    expect(fresh.sources.map((s) => s.status)).toEqual(['stale', 'fresh']);
    expect(fresh.stale).toBe(true);
    const earlier = await collectionFreshnessAt(depsOf(trail), 'c', iso(BASE + HOUR));
    expect(earlier.stale).toBe(false);
  });
});

describe('every collection at T', () => {
  const events = [
    ...job('d1', BASE + 4 * HOUR, 'sync.completed', { source: 'x', collection: 'd' }),
    ...job('c1', BASE + 4 * HOUR, 'sync.failed', { source: 'y', collection: 'c' }),
    ...job('e1', BASE + 4 * HOUR, 'sync.completed', { source: 'gone', collection: 'e' }),
    ...job('f1', BASE, 'sync.completed', { source: 'old', collection: 'f' }),
    ...job('g1', BASE + 4 * HOUR, 'sync.completed', { source: 'now', collection: 'g' }),
  ];
  const at = iso(BASE + 5 * HOUR);
  // `gone` retired before T, `now` at T itself: both retired by T.
  const lifecycle = { gone: { retired_at: iso(BASE + 4.5 * HOUR) }, now: { retired_at: at } };

  it('lists each collection by id, stale when a source failed or is past its SLA, leaving out those whose every source was retired by T', async () => {
    const trail = await trailOf(events);
    const answer = await allFreshnessAt(depsOf(trail, { lifecycle }), at);
    expect(answer.at).toBe(at);
    expect(
      answer.collections.map((c) => [c.collection_readable_id, c.stale, c.sources.map((s) => s.status)]),
    ).toEqual([
      ['c', true, ['failed']],
      ['d', false, ['fresh']],
      ['f', true, ['stale']],
    ]);
    // The retired are not rebuilt at all.
    expect(trail.calls.filter((c) => c.method === 'collectionHistory')).toHaveLength(3);
  });

  it('with all, lists the retired too', async () => {
    const answer = await allFreshnessAt(depsOf(await trailOf(events), { lifecycle }), at, true);
    expect(
      answer.collections.map((c) => [c.collection_readable_id, c.stale, c.sources[0]?.retired_at]),
    ).toEqual([
      ['c', true, null],
      ['d', false, null],
      ['e', false, iso(BASE + 4.5 * HOUR)],
      ['f', true, null],
      ['g', false, at],
    ]);
  });

  it('a source retired after T was listed at T', async () => {
    const later = { gone: { retired_at: iso(BASE + 6 * HOUR) } };
    const answer = await allFreshnessAt(depsOf(await trailOf(events), { lifecycle: later }), at);
    expect(answer.collections.map((c) => c.collection_readable_id)).toEqual(['c', 'd', 'e', 'f', 'g']);
  });
});

describe('T itself', () => {
  const now = new Date('2026-04-23T13:55:00Z');
  it('must be an RFC 3339 time with a zone, not after now', () => {
    expect(atProblem('2026-04-23T13:55:00Z', now)).toBeUndefined();
    expect(atProblem('2026-04-23T15:00:00+02:00', now)).toBeUndefined();
    expect(atProblem(' 2026-04-23T13:00:00Z ', now)).toBeUndefined();
    expect(atProblem('2026-04-23T13:55:00.000001Z', now)).toBe(
      'at 2026-04-23T13:55:00.000001Z is in the future (now is 2026-04-23T13:55:00.000000Z): freshness at T answers for the past',
    );
    expect(atProblem('2026-04-23T13:00:00', now)).toBe(
      'at must be an RFC 3339 time with a zone, such as 2026-04-23T13:50:00Z, got "2026-04-23T13:00:00"',
    );
    expect(atProblem('yesterday', now)).toMatch(/RFC 3339/);
  });

  it('is parsed to the stored form, or a 400 saying why', () => {
    expect(parseAt('2026-04-23T15:00:00+02:00', now)).toBe('2026-04-23T13:00:00.000000Z');
    for (const missing of [undefined, ''])
      expect(() => parseAt(missing, now)).toThrow(new BadRequestError('at is required'));
    expect(() => parseAt('yesterday', now)).toThrow(BadRequestError);
    expect(() => parseAt('2026-04-24T00:00:00Z', now)).toThrow(/in the future/);
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

describe('reading newest first and stopping early never changes the answer', () => {
  it('for a collection, with or without a usable failure index, against reading every source whole', async () => {
    await fc.assert(
      fc.asyncProperty(readCaseArb(40), fc.integer({ min: 1, max: 4 }), async (c, page) => {
        const { at, trail } = await readCaseTrail(c);
        const fast = await collectionFreshnessAt({ ...depsOf(trail), firstPage: page }, 'c', at);
        const whole = await collectionFreshnessAt(
          { ...depsOf(trail), bySource: true, firstPage: 100_000 },
          'c',
          at,
        );
        expect(fast).toEqual(whole);
      }),
      { numRuns: 50 },
    );
  });
});
