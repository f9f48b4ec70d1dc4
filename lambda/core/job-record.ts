import { applyRegisters, cond, type Item, type Registers } from './conditions';
import type { SyncEvent } from './events';
import { firstTerminalKey, isTerminal, rankOf } from './job-state';
import type { JobTimes } from './ports';
import { keys, LEGACY_JOB_INDEX, TTL_ATTRIBUTE } from './table-schema';
import { toMillis } from './timestamp';

/** Epoch seconds at which an audit item written for this time expires (DynamoDB TTL). */
export function expiresAt(at: string, retentionDays: number): number {
  return Math.floor(toMillis(at) / 1000) + retentionDays * 86400;
}

/** What a lifecycle event writes on every item it touches: who the job and source are. */
export function identity(event: SyncEvent): Record<string, unknown> {
  return {
    collection_readable_id: event.collection_readable_id,
    collection_id: event.collection_id,
    source_connection_id: event.source_connection_id,
    source_type: event.source_type,
    source_key: event.source_key,
    sync_id: event.sync_id,
    organization_id: event.organization_id,
  };
}

/**
 * The job's record rule (docs/DESIGN.md section 4): one register per state time (the earliest seen), the
 * current state (highest rank; among terminal states the first by `firstTerminalKey`, so the first
 * terminal state is final), and the time of its latest event, which sets the item's expiry. Every register is a max or a min over the events applied, so the record is the same
 * whatever the arrival order and however often an event is repeated. An in-order event moves every
 * register, which the adapter turns into a single UpdateItem.
 */
export function jobRegisters(event: SyncEvent, retentionDays: number): Registers {
  const { state, timestamp: ts } = event;
  const at = `${state}_at`;
  const rank = rankOf(state);
  return {
    key: keys.job(event.sync_job_id),
    always: { entity: 'job', sync_job_id: event.sync_job_id, ...identity(event) },
    registers: [
      {
        // Stryker disable next-line StringLiteral: a register's name labels it for readers; no code reads it
        name: 'updated',
        // Strictly newer: an event at the same time (in practice, a retry of the same delivery) writes
        // the same values, so it is left out, and a duplicate then moves no register at all (one write and
        // one round trip less; BENCHMARKS.md, the duplicate's row).
        when: cond.any(cond.absent('updated_at'), cond.lt('updated_at', ts)),
        set: { updated_at: ts, [TTL_ATTRIBUTE]: expiresAt(ts, retentionDays) },
        // In no index: each event would otherwise move the summary in both (4 write units of a plain
        // event's 10). Removing attributes that are absent costs nothing.
        remove: [...LEGACY_JOB_INDEX],
      },
      { name: at, when: cond.any(cond.absent(at), cond.gt(at, ts)), set: { [at]: ts } },
      isTerminal(state)
        ? {
            // Stryker disable next-line StringLiteral: a register's name labels it for readers; no code reads it
            name: 'state',
            when: cond.any(
              cond.absent('state_rank'),
              cond.lt('state_rank', rank),
              cond.gt('terminal_key', firstTerminalKey(ts, state)),
            ),
            set: { state, state_rank: rank, terminal_key: firstTerminalKey(ts, state), error: event.error },
          }
        : {
            // Stryker disable next-line StringLiteral: a register's name labels it for readers; no code reads it
            name: 'state',
            when: cond.any(cond.absent('state_rank'), cond.lt('state_rank', rank)),
            set: { state, state_rank: rank },
          },
    ],
  };
}

/** The executable spec of the job's record: the item after the event, or undefined when it changes nothing. */
export function applyToJob(
  item: Item | undefined,
  event: SyncEvent,
  retentionDays: number,
): Item | undefined {
  return applyRegisters(item, jobRegisters(event, retentionDays));
}

export function jobTimes(item: Item): JobTimes {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return { running_at: text(item.running_at), completed_at: text(item.completed_at) };
}
