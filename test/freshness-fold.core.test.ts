import { foldFreshness } from '../lambda/core/freshness-fold';
import { syncEvent } from './helpers/core-fixtures';

/** The record a set of events leaves, as the store's own register rules build it. */
const at = (time: string) => `2026-04-23T${time}.000000Z`;
const event = (type: string, job: string, time: string) =>
  syncEvent({ event_type: type, sync_job_id: job, timestamp: at(time) });

describe('foldFreshness', () => {
  it('no events leave no record', () => {
    expect(foldFreshness([])).toBeUndefined();
  });

  it('folds in event order whatever the order given: a failure older than a success leaves no open failure', () => {
    // Applied in the order given, the success would clear an empty log and the older failure then log itself.
    const newestFirst = [event('sync.completed', 'j2', '11:00:00'), event('sync.failed', 'j1', '10:00:00')];
    const record = foldFreshness(newestFirst);
    expect(record).toMatchObject({
      latest_job_id: 'j2',
      last_terminal_state: 'completed',
      last_success_at: at('11:00:00'),
      last_failure_at: at('10:00:00'),
      failure_log: [],
    });
    expect(foldFreshness([...newestFirst].reverse())).toEqual(record);
  });

  it("at equal times transitions are folded in lifecycle order, and the caller's list is left as it was", () => {
    const events = [
      event('sync.failed', 'j1', '10:00:00'),
      event('sync.completed', 'j0', '09:00:00'),
      event('sync.running', 'j1', '10:00:00'),
    ];
    const given = [...events];
    expect(foldFreshness(events)).toMatchObject({
      latest_state: 'failed',
      running_job_id: 'j1',
      failure_log: [`${at('10:00:00')}|j1`],
    });
    expect(events).toEqual(given);
  });
});
