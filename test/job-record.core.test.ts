import { applyToJob, expiresAt, jobTimes } from '../lambda/core/job-record';
import { syncEvent } from './helpers/core-fixtures';

/** The job's record rule as a pure function of (item, event): what both stores execute. */
const at = (time: string) => `2026-04-23T${time}.000000Z`;
const event = (type: string, time: string, job = 'job-1') =>
  syncEvent({
    event_type: type,
    sync_job_id: job,
    timestamp: at(time),
    source_connection_id: 'sc-1',
    collection_readable_id: 'docs-ab12',
    error: type === 'sync.failed' ? 'boom' : undefined,
  });

describe('expiresAt', () => {
  it('is the event time in whole epoch seconds (rounded down) plus the retention in days', () => {
    const seconds = Date.UTC(2026, 3, 23, 13, 0, 0) / 1000;
    expect(expiresAt('2026-04-23T13:00:00.999999Z', 30)).toBe(seconds + 30 * 86400);
    expect(expiresAt('2026-04-23T13:00:00.000000Z', 1)).toBe(seconds + 86400);
    expect(expiresAt('2026-04-23T13:00:00.000000Z', 0)).toBe(seconds);
  });
});

describe('applyToJob', () => {
  it("a job's first event writes its identity, its state and rank, the state's time and its expiry", () => {
    const e = event('sync.pending', '13:00:00');
    expect(applyToJob(undefined, e, 30)).toEqual({
      pk: 'JOB#job-1',
      sk: 'JOB',
      entity: 'job',
      sync_job_id: 'job-1',
      collection_readable_id: 'docs-ab12',
      collection_id: e.collection_id,
      source_connection_id: 'sc-1',
      source_type: e.source_type,
      source_key: 'sc-1',
      sync_id: e.sync_id,
      organization_id: e.organization_id,
      updated_at: at('13:00:00'),
      expires_at: expiresAt(at('13:00:00'), 30),
      pending_at: at('13:00:00'),
      state: 'pending',
      state_rank: 0,
    });
  });

  it('each later state moves the state, and the latest event time moves the expiry', () => {
    let item = applyToJob(undefined, event('sync.pending', '13:00:00'), 30);
    item = applyToJob(item, event('sync.running', '13:01:00'), 30);
    expect(item).toMatchObject({ state: 'running', state_rank: 1, updated_at: at('13:01:00') });
    item = applyToJob(item, event('sync.cancelling', '13:02:00'), 30);
    expect(item).toMatchObject({
      state: 'cancelling',
      state_rank: 2,
      pending_at: at('13:00:00'),
      running_at: at('13:01:00'),
      cancelling_at: at('13:02:00'),
      updated_at: at('13:02:00'),
      expires_at: expiresAt(at('13:02:00'), 30),
    });
    // Another state at the time already recorded moves the state; the latest time is already that time.
    const same = applyToJob(item, event('sync.cancelled', '13:02:00'), 30);
    expect(same).toMatchObject({ state: 'cancelled', updated_at: at('13:02:00') });
  });

  it('the same event again changes nothing, so a retried delivery writes nothing to the job', () => {
    for (const type of ['sync.pending', 'sync.running', 'sync.completed', 'sync.failed']) {
      const item = applyToJob(undefined, event(type, '13:00:00'), 30);
      expect(applyToJob(item, event(type, '13:00:00'), 30)).toBeUndefined();
    }
  });

  it('an older event of a lower state moves only its own time, never the state or the latest time', () => {
    const running = applyToJob(undefined, event('sync.running', '13:01:00'), 30);
    const late = applyToJob(running, event('sync.pending', '13:00:00'), 30);
    expect(late).toMatchObject({
      state: 'running',
      pending_at: at('13:00:00'),
      updated_at: at('13:01:00'),
      expires_at: expiresAt(at('13:01:00'), 30),
    });
  });

  it('a terminal state writes its tie-break key and the error; a later terminal state does not replace it', () => {
    const failed = applyToJob(undefined, event('sync.failed', '13:05:00'), 30);
    expect(failed).toMatchObject({ state: 'failed', state_rank: 3, error: 'boom' });
    expect(failed?.terminal_key).toEqual(expect.stringMatching(/^2026-04-23T13:05:00\.000000Z#/));
    expect(applyToJob(failed, event('sync.completed', '13:06:00'), 30)).toMatchObject({
      state: 'failed',
      completed_at: at('13:06:00'),
      updated_at: at('13:06:00'),
    });
  });

  it('an event removes the index keys a job summary carried before it left the indexes', () => {
    const legacy = {
      ...applyToJob(undefined, event('sync.pending', '13:00:00'), 30),
      gsi1pk: 'SRC#sc-1',
      gsi1sk: 'E#...',
      gsi2pk: 'COLL#docs-ab12',
      gsi2sk: 'E#...',
    };
    const next = applyToJob(legacy, event('sync.running', '13:01:00'), 30)!;
    expect(['gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].filter((k) => k in next)).toEqual([]);
  });
});

describe('jobTimes', () => {
  it("reads the job's running and completion times; an absent or non-text one is null", () => {
    expect(jobTimes({ running_at: at('13:01:00'), completed_at: at('13:05:00') })).toEqual({
      running_at: at('13:01:00'),
      completed_at: at('13:05:00'),
    });
    expect(jobTimes({ running_at: 5 })).toEqual({ running_at: null, completed_at: null });
  });
});
