import {
  collectionsFreshness,
  consecutiveFailures,
  listed,
  maxAgeFor,
  pastSla,
  sourceFreshness,
  statusOf,
  type FreshnessRecord,
} from '../lambda/core/freshness';
import { settingsOf, sourceRecord } from './helpers/core-fixtures';

const NOW = new Date('2026-04-23T13:55:00.000Z');
const NOW_MS = NOW.getTime();
const at = (time: string) => `2026-04-23T${time}.000000Z`;
const COLLECTION = 'engineering-context-ab123';
const rules = (...freshness: Record<string, unknown>[]) => settingsOf({ freshness }).freshness;
const HOUR = 3600;

describe('freshness SLA', () => {
  it('takes the strictest maxAge among the rules that match the source', () => {
    const matching = rules(
      { collection: '*', maxAge: '6h' },
      { collection: 'engineering-*', maxAge: '2h' },
      { collection: COLLECTION, sourceType: 'github', maxAge: '3h' },
      { collection: COLLECTION, sourceConnectionId: sourceRecord().source_connection_id, maxAge: '4h' },
    );
    expect(maxAgeFor(matching, sourceRecord())).toBe(2 * HOUR);
  });

  it('ignores rules for another collection, source type or connection; no matching rule means no SLA', () => {
    const others = rules(
      { collection: 'other-*', maxAge: '1m' },
      { collection: COLLECTION, sourceType: 'slack', maxAge: '2m' },
      { collection: COLLECTION, sourceConnectionId: 'another-connection', maxAge: '3m' },
    );
    expect(maxAgeFor(others, sourceRecord())).toBeNull();
    expect(maxAgeFor([], sourceRecord())).toBeNull();
  });

  it('never succeeded, with an SLA, is stale', () => {
    const never = sourceRecord({ latest_state: 'running', latest_job_id: 'j1', latest_at: at('13:50:00') });
    expect(pastSla(never, HOUR, NOW_MS)).toBe(true);
    expect(statusOf(never, HOUR, NOW_MS)).toBe('stale');
    expect(pastSla(sourceRecord(), HOUR, NOW_MS)).toBe(true);
    expect(statusOf(sourceRecord(), HOUR, NOW_MS)).toBe('stale');
  });

  it('never succeeded, without an SLA, is unknown (or syncing while a job runs)', () => {
    expect(pastSla(sourceRecord(), null, NOW_MS)).toBe(false);
    expect(statusOf(sourceRecord(), null, NOW_MS)).toBe('unknown');
    expect(statusOf(sourceRecord({ latest_state: 'pending' }), null, NOW_MS)).toBe('syncing');
  });

  it('a listed source awaiting its first sync is stale only once the SLA has passed since it was listed', () => {
    const listedAt = (time: string) => sourceRecord({ registered_at: at(time) });
    expect(pastSla(listedAt('13:00:00'), HOUR, NOW_MS)).toBe(false);
    expect(statusOf(listedAt('13:00:00'), HOUR, NOW_MS)).toBe('unknown');
    expect(pastSla(listedAt('12:54:59'), HOUR, NOW_MS)).toBe(true);
    // Once it had a job that never succeeded, the listing no longer excuses it.
    expect(
      pastSla(sourceRecord({ registered_at: at('13:00:00'), latest_state: 'failed' }), HOUR, NOW_MS),
    ).toBe(true);
  });

  it('a success is past its SLA one millisecond after maxAge, not at maxAge', () => {
    const succeeded = (time: string) => sourceRecord({ last_success_at: time });
    expect(pastSla(succeeded('2026-04-23T12:55:00.000000Z'), HOUR, NOW_MS)).toBe(false);
    expect(pastSla(succeeded('2026-04-23T12:54:59.999000Z'), HOUR, NOW_MS)).toBe(true);
    expect(statusOf(succeeded('2026-04-23T12:55:00.000000Z'), HOUR, NOW_MS)).toBe('fresh');
  });
});

describe('status rule, first match wins', () => {
  const base = { last_success_at: at('10:00:00'), latest_state: 'running' as const };

  it('failed before stale before syncing before fresh', () => {
    expect(statusOf(sourceRecord({ ...base, last_terminal_state: 'failed' }), HOUR, NOW_MS)).toBe('failed');
    expect(statusOf(sourceRecord(base), HOUR, NOW_MS)).toBe('stale');
    expect(statusOf(sourceRecord(base), null, NOW_MS)).toBe('syncing');
    expect(statusOf(sourceRecord({ ...base, latest_state: 'completed' }), null, NOW_MS)).toBe('fresh');
    expect(statusOf(sourceRecord({ ...base, last_terminal_state: 'cancelled' }), null, NOW_MS)).toBe(
      'syncing',
    );
  });
});

describe('consecutive failures', () => {
  it('counts distinct failed jobs newer than the last success', () => {
    const record = sourceRecord({
      last_success_at: at('12:00:00'),
      failure_log: [
        `${at('11:00:00')}|old`,
        `${at('12:30:00')}|j1`,
        `${at('12:40:00')}|j1`,
        `${at('13:00:00')}|j2`,
      ],
    });
    expect(consecutiveFailures(record)).toBe(2);
  });

  it('counts every failure of a source that never succeeded, and none without a log', () => {
    expect(
      consecutiveFailures(sourceRecord({ failure_log: [`${at('11:00:00')}|a`, `${at('12:00:00')}|b`] })),
    ).toBe(2);
    expect(consecutiveFailures(sourceRecord())).toBe(0);
  });
});

describe('one source in GET /freshness', () => {
  it('reports every field of the contract', () => {
    const record = sourceRecord({
      latest_job_id: 'j3',
      latest_state: 'running',
      running_job_id: 'j3',
      running_at: at('13:50:00'),
      last_success_at: at('13:54:00'),
      last_success_job_id: 'j2',
      last_failure_at: at('13:00:00'),
      last_error: 'boom',
      failure_log: [`${at('13:00:00')}|j1`],
      verified_at: at('13:30:00'),
      last_success_origin: 'reconciled',
    });
    expect(sourceFreshness(record, rules({ collection: '*', maxAge: '1h' }), NOW)).toEqual({
      source_connection_id: record.source_connection_id,
      source_type: 'github',
      status: 'syncing',
      last_success_at: at('13:54:00'),
      last_failure_at: at('13:00:00'),
      last_error: 'boom',
      age_seconds: 60,
      last_job_id: 'j3',
      running_since: at('13:50:00'),
      consecutive_failures: 0,
      max_age_seconds: HOUR,
      verified_at: at('13:30:00'),
      last_success_origin: 'reconciled',
      retired_at: null,
    });
  });

  it('age is whole seconds since the last success, never negative, null without one', () => {
    const age = (last_success_at: string | null) =>
      sourceFreshness(sourceRecord({ last_success_at }), [], NOW).age_seconds;
    expect(age('2026-04-23T13:53:58.999000Z')).toBe(61);
    expect(age('2026-04-23T13:56:00.000000Z')).toBe(0);
    expect(age(null)).toBeNull();
  });

  it('running_since only while the latest job is the running one and still active', () => {
    const running = { running_job_id: 'j1', running_at: at('13:00:00'), latest_job_id: 'j1' };
    const since = (extra: Partial<FreshnessRecord>) =>
      sourceFreshness(sourceRecord({ ...running, ...extra }), [], NOW).running_since;
    expect(since({ latest_state: 'running' })).toBe(at('13:00:00'));
    expect(since({ latest_state: 'completed' })).toBeNull();
    expect(since({ latest_state: 'pending', latest_job_id: 'j2' })).toBeNull();
  });
});

describe('collections', () => {
  const record = (collection: string, type: string, key: string, extra: Partial<FreshnessRecord> = {}) =>
    sourceRecord({
      collection_readable_id: collection,
      collection_name: `${collection} name`,
      source_type: type,
      source_key: key,
      source_connection_id: key,
      last_success_at: at('13:50:00'),
      ...extra,
    });

  it('groups sources by collection, sorted by collection, then source type, then source key', () => {
    const records = [
      record('b', 'slack', 's1'),
      record('a', 'github', 'g2'),
      record('b', 'github', 'g9'),
      record('a', 'github', 'g1'),
    ];
    const collections = collectionsFreshness(records, [], NOW);
    expect(collections.map((c) => c.collection_readable_id)).toEqual(['a', 'b']);
    expect(collections.map((c) => c.sources.map((s) => s.source_connection_id))).toEqual([
      ['g1', 'g2'],
      ['g9', 's1'],
    ]);
    expect(collections.map((c) => c.collection_name)).toEqual(['a name', 'b name']);
  });

  it('a collection is stale when any source is failed or stale, not when syncing or unknown', () => {
    const stale = (...records: FreshnessRecord[]) =>
      collectionsFreshness(records, rules({ collection: '*', maxAge: '1h' }), NOW)[0]!.stale;
    expect(
      stale(record('a', 'github', 'g1'), record('a', 'slack', 's1', { last_terminal_state: 'failed' })),
    ).toBe(true);
    expect(stale(record('a', 'github', 'g1', { last_success_at: at('12:00:00') }))).toBe(true);
    expect(stale(record('a', 'github', 'g1', { latest_state: 'running' }), record('a', 'slack', 's1'))).toBe(
      false,
    );
    expect(
      collectionsFreshness([record('a', 'github', 'g1', { last_success_at: null })], [], NOW)[0]!.stale,
    ).toBe(false);
  });

  it('takes the collection name from a source that has one', () => {
    const [collection] = collectionsFreshness(
      [
        record('a', 'github', 'g1', { collection_name: '' }),
        record('a', 'slack', 's1', { collection_name: 'Named' }),
      ],
      [],
      NOW,
    );
    expect(collection!.collection_name).toBe('Named');
    expect(
      collectionsFreshness([record('a', 'github', 'g1', { collection_name: '' })], [], NOW)[0]!
        .collection_name,
    ).toBe('');
  });

  it('lists retired sources only when all are asked for', () => {
    const live = record('a', 'github', 'g1');
    const retired = record('a', 'slack', 's1', { retired_at: at('13:00:00') });
    expect(listed([live, retired])).toEqual([live]);
    expect(listed([live, retired], true)).toEqual([live, retired]);
  });
});
