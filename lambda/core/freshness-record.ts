import { applyRegisters, cond, type Item, type Register, type Registers } from './conditions';
import type { SyncEvent } from './events';
import type { FreshnessRecord } from './freshness';
import { identity } from './job-record';
import { isTerminal, transitionKey, type JobState } from './job-state';
import { keys } from './table-schema';

/** Cap on remembered unresolved failures per source, so a source failing for months never outgrows an item. */
export const FAILURE_LOG_CAP = 100;

/** One failure log entry: `<timestamp>|<job id>`, so entries sort by time and name their job. */
export function failureLogEntry(event: Pick<SyncEvent, 'timestamp' | 'sync_job_id'>): string {
  return `${event.timestamp}|${event.sync_job_id}`;
}

/**
 * The source's freshness rule (docs/DESIGN.md section 4), as independent registers so that each only
 * moves forward in event time: the latest transition (activity), the latest `running`, the latest
 * terminal state, the last success, the last failure, and the log of failures since the last success
 * (consecutive failures), capped at FAILURE_LOG_CAP entries.
 */
export function freshnessRegisters(event: SyncEvent): Registers {
  const ts = event.timestamp;
  const key = transitionKey(ts, event.state);
  const job = event.sync_job_id;
  const newest = cond.any(cond.absent('latest_key'), cond.lt('latest_key', key));
  const registers: Register[] = [
    {
      // Stryker disable next-line StringLiteral: a register's name labels it for readers; no code reads it
      name: 'latest',
      when: newest,
      set: {
        latest_key: key,
        latest_job_id: job,
        latest_state: event.state,
        latest_at: ts,
        collection_name: event.collection_name,
      },
      // A success newer than everything applied so far: every logged failure is older, the log is resolved.
      ...(event.state === 'completed' && { remove: ['failure_log'] }),
    },
  ];
  if (event.state === 'running')
    registers.push({
      // Stryker disable next-line StringLiteral: a register's name labels it for readers; no code reads it
      name: 'running',
      when: cond.any(cond.absent('running_at'), cond.lt('running_at', ts)),
      set: { running_at: ts, running_job_id: job },
    });
  if (isTerminal(event.state))
    registers.push({
      // Stryker disable next-line StringLiteral: a register's name labels it for readers; no code reads it
      name: 'terminal',
      when: cond.any(cond.absent('terminal_key'), cond.lt('terminal_key', key)),
      set: { terminal_key: key, last_terminal_state: event.state, last_terminal_at: ts },
    });
  if (event.state === 'completed')
    registers.push({
      // Stryker disable next-line StringLiteral: a register's name labels it for readers; no code reads it
      name: 'success',
      when: cond.any(cond.absent('last_success_at'), cond.lt('last_success_at', ts)),
      set: { last_success_at: ts, last_success_job_id: job, last_success_origin: event.origin },
    });
  if (event.state === 'failed')
    registers.push(
      {
        // Stryker disable next-line StringLiteral: a register's name labels it for readers; no code reads it
        name: 'failure',
        when: cond.any(cond.absent('last_failure_at'), cond.lt('last_failure_at', ts)),
        set: { last_failure_at: ts, last_failure_job_id: job, last_error: event.error },
      },
      {
        // Stryker disable next-line StringLiteral: a register's name labels it for readers; no code reads it
        name: 'failure_log',
        when: cond.sizeBelow('failure_log', FAILURE_LOG_CAP),
        add: { failure_log: new Set([failureLogEntry(event)]) },
      },
    );
  return {
    key: keys.freshness(event.collection_readable_id, event.source_key),
    always: {
      entity: 'freshness',
      ...keys.freshnessGsi1(event.collection_readable_id, event.source_key),
      ...identity(event),
    },
    registers,
  };
}

/** The executable spec of a source's freshness item: the item after the event, or undefined when unchanged. */
export function applyToFreshness(item: Item | undefined, event: SyncEvent): Item | undefined {
  return applyRegisters(item, freshnessRegisters(event));
}

const text = (value: unknown) => (typeof value === 'string' ? value : null);

/** The freshness item as the use cases read it. */
export function toFreshnessRecord(item: Item): FreshnessRecord {
  const log = item.failure_log;
  return {
    collection_readable_id: String(item.collection_readable_id),
    collection_name: text(item.collection_name) ?? '',
    source_key: String(item.source_key),
    source_connection_id: text(item.source_connection_id),
    source_type: text(item.source_type) ?? '',
    latest_job_id: text(item.latest_job_id),
    latest_state: text(item.latest_state) as JobState | null,
    latest_at: text(item.latest_at),
    running_job_id: text(item.running_job_id),
    running_at: text(item.running_at),
    last_terminal_state: text(item.last_terminal_state) as JobState | null,
    last_success_at: text(item.last_success_at),
    last_success_job_id: text(item.last_success_job_id),
    last_failure_at: text(item.last_failure_at),
    last_failure_job_id: text(item.last_failure_job_id),
    last_error: text(item.last_error),
    failure_log: log instanceof Set ? [...(log as Set<string>)].sort() : [],
    stale_episode: text(item.stale_episode),
    stuck_episode: text(item.stuck_episode),
    last_success_origin: text(item.last_success_origin) as FreshnessRecord['last_success_origin'],
    registered_at: text(item.registered_at),
    verified_at: text(item.verified_at),
    retired_at: text(item.retired_at),
  };
}
