import type { SyncEvent } from './events';
import type { FreshnessRecord } from './freshness';
import { isTerminal, type JobState, transitionKey } from './job-state';

/** Cap on remembered unresolved failures per source, so a source failing for months never outgrows an item. */
export const FAILURE_LOG_CAP = 100;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Folded extends Mutable<Omit<FreshnessRecord, 'failure_log'>> {
  latest_key: string | null;
  terminal_key: string | null;
  failure_log: Set<string>;
}

/**
 * The freshness record that a set of events leaves, by the registers the store applies per event
 * (`advanceFreshness`): each register moves only to a newer value, so the record does not depend on the
 * order the events are folded in. Undefined for no events (the store has no record then).
 */
export function foldFreshness(events: readonly SyncEvent[]): FreshnessRecord | undefined {
  let record: Folded | undefined;
  const ordered = [...events].sort((a, b) =>
    transitionKey(a.timestamp, a.state).localeCompare(transitionKey(b.timestamp, b.state)),
  );
  for (const event of ordered) record = applyEvent(record, event);
  return record && recordOf(record);
}

/** The record as the store reads it back: ordering keys are the store's, the log a sorted list. */
const recordOf = ({ latest_key: _latest, terminal_key: _terminal, failure_log, ...rest }: Folded) => ({
  ...rest,
  failure_log: [...failure_log].sort(),
});

function applyEvent(current: Folded | undefined, event: SyncEvent): Folded {
  const r: Folded = current
    ? { ...current, failure_log: new Set(current.failure_log) }
    : {
        collection_readable_id: event.collection_readable_id,
        collection_name: event.collection_name,
        source_key: event.source_key,
        source_connection_id: event.source_connection_id,
        source_type: event.source_type,
        latest_key: null,
        latest_job_id: null,
        latest_state: null,
        latest_at: null,
        running_job_id: null,
        running_at: null,
        terminal_key: null,
        last_terminal_state: null,
        last_success_at: null,
        last_success_job_id: null,
        last_failure_at: null,
        last_failure_job_id: null,
        last_error: null,
        failure_log: new Set(),
        stale_episode: null,
        stuck_episode: null,
        last_success_origin: null,
        registered_at: null,
        verified_at: null,
        retired_at: null,
      };
  const key = transitionKey(event.timestamp, event.state);
  const newest = r.latest_key === null || r.latest_key < key;
  const state: JobState = event.state;
  if (newest) {
    r.latest_key = key;
    r.latest_job_id = event.sync_job_id;
    r.latest_state = state;
    r.latest_at = event.timestamp;
    r.collection_name = event.collection_name;
  }
  if (state === 'running' && (r.running_at === null || r.running_at < event.timestamp)) {
    r.running_at = event.timestamp;
    r.running_job_id = event.sync_job_id;
  }
  if (isTerminal(state) && (r.terminal_key === null || r.terminal_key < key)) {
    r.terminal_key = key;
    r.last_terminal_state = state;
  }
  if (state === 'completed') {
    if (r.last_success_at === null || r.last_success_at < event.timestamp) {
      r.last_success_at = event.timestamp;
      r.last_success_job_id = event.sync_job_id;
      r.last_success_origin = event.origin;
    }
    if (newest) r.failure_log = new Set();
  }
  if (state === 'failed') {
    if (r.last_failure_at === null || r.last_failure_at < event.timestamp) {
      r.last_failure_at = event.timestamp;
      r.last_failure_job_id = event.sync_job_id;
      r.last_error = event.error;
    }
    if (r.failure_log.size < FAILURE_LOG_CAP) r.failure_log.add(`${event.timestamp}|${event.sync_job_id}`);
  }
  return r;
}
