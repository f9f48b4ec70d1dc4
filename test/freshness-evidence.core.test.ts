import type { FreshnessStatus } from '../lambda/core/freshness';
import type { RecordedEvent } from '../lambda/core/audit-trail';
import { decidingEvent, decidingRole, evidenceOf } from '../lambda/core/freshness-evidence';
import { foldFreshness } from '../lambda/core/freshness-fold';
import { syncEvent } from './helpers/core-fixtures';

/**
 * The evidence of a freshness answer at T: each register of the record rebuilt from the audit trail (the
 * store's own rules, `foldFreshness`) traced back to the event that set it.
 */
const at = (time: string) => `2026-04-23T${time}.000000Z`;

function recorded(type: string, job: string, time: string, received = time): RecordedEvent {
  return {
    ...syncEvent({ event_type: type, sync_job_id: job, timestamp: at(time), error: `${job} broke` }),
    svix_id: `msg_${job}_${type}`,
    received_at: at(received),
  };
}

function evidence(events: RecordedEvent[], t = at('23:00:00')) {
  const record = foldFreshness(events);
  if (!record) throw new Error('no record');
  return { record, evidence: evidenceOf(record, events, t) };
}

const summary = (list: ReturnType<typeof evidenceOf>) =>
  list.map((e) => [e.sync_job_id, e.event_type, e.roles.join(',')]);

describe('evidenceOf', () => {
  it('a finished job: its completion holds the latest state, the terminal and the success; its running the running', () => {
    const events = [
      recorded('sync.pending', 'j1', '10:00:00'),
      recorded('sync.running', 'j1', '10:01:00'),
      recorded('sync.completed', 'j1', '10:10:00'),
    ];
    expect(evidence(events).evidence).toEqual([
      {
        roles: ['latest_state', 'last_terminal', 'last_success'],
        sync_job_id: 'j1',
        event_type: 'sync.completed',
        svix_id: 'msg_j1_sync.completed',
        timestamp: at('10:10:00'),
        received_at: at('10:10:00'),
        known_at_t: true,
      },
      {
        roles: ['running'],
        sync_job_id: 'j1',
        event_type: 'sync.running',
        svix_id: 'msg_j1_sync.running',
        timestamp: at('10:01:00'),
        received_at: at('10:01:00'),
        known_at_t: true,
      },
    ]);
  });

  it('failures since the last success are each evidence; a failure before it is only the last failure if it is', () => {
    const events = [
      recorded('sync.failed', 'j0', '09:00:00'),
      recorded('sync.completed', 'j1', '10:00:00'),
      recorded('sync.failed', 'j2', '11:00:00'),
      recorded('sync.failed', 'j3', '12:00:00'),
    ];
    expect(summary(evidence(events).evidence)).toEqual([
      ['j3', 'sync.failed', 'latest_state,last_terminal,last_failure,failure_since_success'],
      ['j2', 'sync.failed', 'failure_since_success'],
      ['j1', 'sync.completed', 'last_success'],
    ]);
  });

  it('without any success every logged failure counts', () => {
    const events = [recorded('sync.failed', 'j2', '11:00:00'), recorded('sync.failed', 'j3', '12:00:00')];
    expect(summary(evidence(events).evidence)).toEqual([
      ['j3', 'sync.failed', 'latest_state,last_terminal,last_failure,failure_since_success'],
      ['j2', 'sync.failed', 'failure_since_success'],
    ]);
  });

  it('a failure at the very time of the success is not "since" it', () => {
    const events = [recorded('sync.completed', 'j1', '10:00:00'), recorded('sync.failed', 'j2', '10:00:00')];
    const { record, evidence: list } = evidence(events);
    expect(record.failure_log).toEqual([`${at('10:00:00')}|j2`]);
    expect(list.find((e) => e.sync_job_id === 'j2')?.roles).not.toContain('failure_since_success');
  });

  it('a cancelled last terminal state points at the newest cancellation', () => {
    const events = [
      recorded('sync.cancelled', 'j1', '10:00:00'),
      recorded('sync.completed', 'j2', '10:30:00'),
      recorded('sync.cancelled', 'j3', '11:00:00'),
    ];
    expect(summary(evidence(events).evidence)).toEqual([
      ['j3', 'sync.cancelled', 'latest_state,last_terminal'],
      ['j2', 'sync.completed', 'last_success'],
    ]);
  });

  it('a cancellation is the terminal evidence even when a newer job has started since', () => {
    const events = [recorded('sync.cancelled', 'j1', '10:00:00'), recorded('sync.pending', 'j2', '11:00:00')];
    expect(summary(evidence(events).evidence)).toEqual([
      ['j2', 'sync.pending', 'latest_state'],
      ['j1', 'sync.cancelled', 'last_terminal'],
    ]);
  });

  it('a record without a terminal state names no terminal evidence, whatever the trail holds', () => {
    const events = [recorded('sync.pending', 'j2', '11:00:00')];
    const record = foldFreshness(events)!;
    const trail = [...events, recorded('sync.cancelled', 'j1', '10:00:00')];
    expect(summary(evidenceOf(record, trail, at('23:00:00')))).toEqual([
      ['j2', 'sync.pending', 'latest_state'],
    ]);
  });

  it('a terminal state that is a success or a failure is traced to that event, not to a cancellation', () => {
    const failed = [recorded('sync.cancelled', 'j1', '10:00:00'), recorded('sync.failed', 'j2', '11:00:00')];
    expect(summary(evidence(failed).evidence)).toEqual([
      ['j2', 'sync.failed', 'latest_state,last_terminal,last_failure,failure_since_success'],
    ]);
    const completed = [
      recorded('sync.cancelled', 'j1', '10:00:00'),
      recorded('sync.completed', 'j2', '11:00:00'),
    ];
    expect(summary(evidence(completed).evidence)).toEqual([
      ['j2', 'sync.completed', 'latest_state,last_terminal,last_success'],
    ]);
  });

  it('an active job has no terminal evidence: only its latest state and running', () => {
    const events = [recorded('sync.pending', 'j1', '10:00:00'), recorded('sync.running', 'j1', '10:01:00')];
    expect(summary(evidence(events).evidence)).toEqual([['j1', 'sync.running', 'latest_state,running']]);
  });

  it('events at the same time are listed by event type', () => {
    const events = [recorded('sync.failed', 'j2', '10:00:00'), recorded('sync.completed', 'j1', '10:00:00')];
    expect(summary(evidence(events).evidence)).toEqual([
      ['j1', 'sync.completed', 'last_success'],
      ['j2', 'sync.failed', 'latest_state,last_terminal,last_failure'],
    ]);
  });

  it('an event is known at T when it was received at or before T', () => {
    const events = [
      recorded('sync.running', 'j1', '10:00:00', '10:00:00'),
      recorded('sync.completed', 'j1', '10:10:00', '12:00:00'),
    ];
    const known = (t: string) => evidence(events, at(t)).evidence.map((e) => [e.event_type, e.known_at_t]);
    expect(known('12:00:00')).toEqual([
      ['sync.completed', true],
      ['sync.running', true],
    ]);
    expect(known('11:59:59')).toEqual([
      ['sync.completed', false],
      ['sync.running', true],
    ]);
  });

  it('a register whose event is missing from the trail, or is empty, has no evidence', () => {
    const events = [recorded('sync.running', 'j1', '10:00:00'), recorded('sync.completed', 'j1', '10:10:00')];
    const record = foldFreshness(events)!;
    expect(evidenceOf(record, [events[0]!], at('23:00:00')).map((e) => e.roles)).toEqual([['running']]);
    expect(
      evidenceOf(
        {
          ...record,
          latest_job_id: null,
          running_at: null,
          last_success_at: null,
          last_terminal_state: null,
        },
        events,
        at('23:00:00'),
      ),
    ).toEqual([]);
    // A success time without its job (or a job without its time) names no event.
    expect(
      evidenceOf(
        { ...record, latest_state: null, running_job_id: null, last_success_job_id: null },
        events,
        at('23:00:00'),
      ),
    ).toEqual([]);
  });
});

describe('the deciding event', () => {
  it.each([
    ['failed', 'last_terminal'],
    ['syncing', 'latest_state'],
    ['stale', 'last_success'],
    ['fresh', 'last_success'],
    ['unknown', 'latest_state'],
  ] as const)('a %s status is decided by the %s register', (status, role) => {
    expect(decidingRole(status as FreshnessStatus)).toBe(role);
  });

  it('is the evidence holding the deciding role, or null when none does', () => {
    const events = [
      recorded('sync.completed', 'j1', '10:00:00'),
      recorded('sync.pending', 'j2', '11:00:00'),
      recorded('sync.running', 'j2', '11:01:00'),
    ];
    const { evidence: list } = evidence(events);
    expect(decidingEvent('fresh', list)?.event_type).toBe('sync.completed');
    expect(decidingEvent('syncing', list)?.event_type).toBe('sync.running');
    expect(decidingEvent('failed', list)?.event_type).toBe('sync.completed');
    const active = evidence([recorded('sync.running', 'j3', '12:00:00')]).evidence;
    expect(decidingEvent('fresh', active)).toBeNull();
  });
});
