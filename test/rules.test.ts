import type { Item } from '../lambda/core/conditions';
import { classifyPayload, type SyncEvent } from '../lambda/core/events';
import { applyToFreshness, FAILURE_LOG_CAP, toFreshnessRecord } from '../lambda/core/freshness-record';
import { applyToJob } from '../lambda/core/job-record';
import { currentPayload } from '../harness/deliveries';

/** The rules as pure functions of (item, event): the executable spec the stores are checked against. */
function event(type: string, timestamp: string, job = 'job-1'): SyncEvent {
  const classified = classifyPayload(
    JSON.stringify(currentPayload({ event_type: type, timestamp, sync_job_id: job, error: `${type} error` })),
  );
  if (classified.kind !== 'lifecycle') throw new Error(`not a lifecycle event: ${type}`);
  return classified.event;
}

function replay<T>(apply: (item: Item | undefined, e: SyncEvent) => Item | undefined, events: SyncEvent[]) {
  return events.reduce<Item | undefined>((item, e) => apply(item, e) ?? item, undefined) as T & Item;
}

const job = (events: SyncEvent[]) => replay<{ state: string }>((i, e) => applyToJob(i, e, 30), events);
const T1 = '2026-04-23T13:00:00.000000Z';
const T2 = '2026-04-23T13:05:00.000000Z';

describe('job record', () => {
  it('moves forward only: a late lower state changes nothing', () => {
    const done = job([event('sync.running', T1), event('sync.completed', T2)]);
    expect(applyToJob(done, event('sync.pending', T1), 30)).toEqual(
      expect.objectContaining({ state: 'completed', pending_at: T1 }),
    );
    expect(applyToJob(done, event('sync.running', T1), 30)).toBeUndefined();
  });

  it('the first terminal state by event time is final, in either arrival order', () => {
    const a = [event('sync.failed', T1), event('sync.completed', T2)];
    expect(job(a).state).toBe('failed');
    expect(job([...a].reverse()).state).toBe('failed');
  });

  it.each([
    ['sync.failed', 'sync.cancelled', 'failed'],
    ['sync.failed', 'sync.completed', 'failed'],
    ['sync.cancelled', 'sync.completed', 'cancelled'],
  ])('at equal time %s beats %s, whichever arrives first', (a, b, winner) => {
    expect(job([event(a, T1), event(b, T1)]).state).toBe(winner);
    expect(job([event(b, T1), event(a, T1)]).state).toBe(winner);
  });

  it('keeps the earliest time of each state and the latest event time', () => {
    const item = job([event('sync.running', T2), event('sync.running', T1)]);
    expect(item).toMatchObject({ running_at: T1, updated_at: T2 });
  });
});

describe('freshness record', () => {
  const fresh = (events: SyncEvent[]) => toFreshnessRecord(replay((i, e) => applyToFreshness(i, e), events));

  it('a success newer than every failure clears the failure log; an older one does not', () => {
    const failure = event('sync.failed', T1, 'job-f');
    expect(fresh([failure, event('sync.completed', T2, 'job-s')]).failure_log).toEqual([]);
    expect(
      fresh([event('sync.completed', T1, 'job-s'), event('sync.failed', T2, 'job-f')]).failure_log,
    ).toEqual([`${T2}|job-f`]);
  });

  it('the failure log stops growing at its cap', () => {
    const failures = Array.from({ length: FAILURE_LOG_CAP + 5 }, (_, i) =>
      event(
        'sync.failed',
        `2026-04-23T13:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000000Z`,
        `job-${i}`,
      ),
    );
    expect(fresh(failures).failure_log).toHaveLength(FAILURE_LOG_CAP);
  });

  it('the latest terminal state at equal time is the failure, as for the job', () => {
    const record = fresh([event('sync.failed', T1, 'a'), event('sync.completed', T1, 'b')]);
    expect(record.last_terminal_state).toBe('failed');
    expect(record.last_success_at).toBe(T1);
  });
});
