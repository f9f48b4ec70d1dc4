import type { Item } from '../lambda/core/conditions';
import { applyToFreshness, failureLogEntry, toFreshnessRecord } from '../lambda/core/freshness-record';
import { syncEvent } from './helpers/core-fixtures';

/** The source's freshness rule as a pure function of (item, event): what both stores execute. */
const at = (time: string) => `2026-04-23T${time}.000000Z`;
const event = (type: string, job: string, time: string) =>
  syncEvent({
    event_type: type,
    sync_job_id: job,
    timestamp: at(time),
    error: type === 'sync.failed' ? `${job} broke` : undefined,
  });
/** The record after these events, applied in the order given (as they arrive). */
function arrive(...events: ReturnType<typeof event>[]) {
  let item: Item | undefined;
  for (const e of events) item = applyToFreshness(item, e) ?? item;
  return toFreshnessRecord(item!);
}

describe('the freshness registers', () => {
  it('a completion alone sets the latest transition, the terminal state and the success, and no running', () => {
    expect(arrive(event('sync.completed', 'j1', '13:00:00'))).toMatchObject({
      latest_job_id: 'j1',
      latest_state: 'completed',
      latest_at: at('13:00:00'),
      running_job_id: null,
      running_at: null,
      last_terminal_state: 'completed',
      last_success_at: at('13:00:00'),
      last_success_job_id: 'j1',
      last_failure_at: null,
      failure_log: [],
    });
  });

  it('the latest transition moves forward only: a late older event leaves it', () => {
    const record = arrive(event('sync.running', 'j2', '13:10:00'), event('sync.completed', 'j1', '13:00:00'));
    expect(record).toMatchObject({ latest_job_id: 'j2', latest_state: 'running', latest_at: at('13:10:00') });
    // ...but its own registers still move: the older job's success is the last success.
    expect(record.last_success_job_id).toBe('j1');
  });

  it('running, success and failure each keep the newest, whatever the arrival order', () => {
    const record = arrive(
      event('sync.running', 'j2', '13:10:00'),
      event('sync.running', 'j1', '13:00:00'),
      event('sync.completed', 'j4', '13:40:00'),
      event('sync.completed', 'j3', '13:30:00'),
      event('sync.failed', 'j6', '13:50:00'),
      event('sync.failed', 'j5', '13:45:00'),
    );
    expect(record).toMatchObject({
      running_job_id: 'j2',
      running_at: at('13:10:00'),
      last_success_job_id: 'j4',
      last_success_at: at('13:40:00'),
      last_failure_job_id: 'j6',
      last_failure_at: at('13:50:00'),
      last_error: 'j6 broke',
    });
  });

  it('the failure log lists failures in time order, whatever the arrival order', () => {
    const record = arrive(event('sync.failed', 'j2', '13:10:00'), event('sync.failed', 'j1', '13:00:00'));
    expect(record.failure_log).toEqual([
      failureLogEntry({ timestamp: at('13:00:00'), sync_job_id: 'j1' }),
      failureLogEntry({ timestamp: at('13:10:00'), sync_job_id: 'j2' }),
    ]);
  });
});

describe('toFreshnessRecord', () => {
  it('an item missing its names reads as empty text; one without registers as nulls', () => {
    expect(toFreshnessRecord({ collection_readable_id: 'docs-ab12', source_key: 'sc-1' })).toEqual({
      collection_readable_id: 'docs-ab12',
      collection_name: '',
      source_key: 'sc-1',
      source_connection_id: null,
      source_type: '',
      latest_job_id: null,
      latest_state: null,
      latest_at: null,
      running_job_id: null,
      running_at: null,
      last_terminal_state: null,
      last_success_at: null,
      last_success_job_id: null,
      last_failure_at: null,
      last_failure_job_id: null,
      last_error: null,
      failure_log: [],
      stale_episode: null,
      stuck_episode: null,
      last_success_origin: null,
      registered_at: null,
      verified_at: null,
      retired_at: null,
    });
  });
});
