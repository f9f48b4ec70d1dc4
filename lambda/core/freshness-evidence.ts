import type { RecordedEvent } from './audit-trail';
import type { FreshnessRecord, FreshnessStatus } from './freshness';
import type { JobState, LifecycleEventType } from './job-state';

/**
 * The evidence of a freshness answer at T: each register of the rebuilt record traced to the audit event
 * that set it, and the one event that decides the status (docs/DESIGN.md, freshness at T).
 */
export type EvidenceRole =
  'latest_state' | 'running' | 'last_terminal' | 'last_success' | 'last_failure' | 'failure_since_success';

/** An audit event the answer rests on, with what it decides; `sync-events audit` shows the same event. */
export interface Evidence {
  readonly roles: readonly EvidenceRole[];
  readonly sync_job_id: string;
  readonly event_type: LifecycleEventType;
  readonly svix_id: string;
  readonly timestamp: string;
  readonly received_at: string;
  /** Received at or before T: the stack knew of it at T. */
  readonly known_at_t: boolean;
}

/** The record's registers, each traced to the audit event that set it. */
export function evidenceOf(
  record: FreshnessRecord,
  events: readonly RecordedEvent[],
  at: string,
): Evidence[] {
  // An empty register (null job or state) matches no event: every recorded event has both.
  const find = (job: string | null, state: JobState | null) =>
    events.find((e) => e.sync_job_id === job && e.state === state);
  const when = (at: string | null, state: JobState) => (at === null ? null : state);
  const roles = new Map<RecordedEvent, EvidenceRole[]>();
  const mark = (event: RecordedEvent | undefined, role: EvidenceRole) => {
    if (event) roles.set(event, [...(roles.get(event) ?? []), role]);
  };
  const success = find(record.last_success_job_id, when(record.last_success_at, 'completed'));
  const failure = find(record.last_failure_job_id, when(record.last_failure_at, 'failed'));
  mark(find(record.latest_job_id, record.latest_state), 'latest_state');
  mark(find(record.running_job_id, when(record.running_at, 'running')), 'running');
  const lastCancel = events
    .filter((e) => e.state === 'cancelled')
    .sort((a, b) => b.timestamp.localeCompare(a.timestamp))[0];
  mark(
    record.last_terminal_state === 'failed'
      ? failure
      : record.last_terminal_state === 'completed'
        ? success
        : record.last_terminal_state === 'cancelled'
          ? lastCancel
          : undefined,
    'last_terminal',
  );
  mark(success, 'last_success');
  mark(failure, 'last_failure');
  const since = record.last_success_at ?? '';
  for (const entry of record.failure_log) {
    // `<timestamp>|<job id>` (failureLogEntry): both parts are always there.
    const [ts, job] = entry.split('|') as [string, string];
    if (ts > since) mark(find(job, 'failed'), 'failure_since_success');
  }
  return [...roles.entries()]
    .sort(([a], [b]) => b.timestamp.localeCompare(a.timestamp) || a.event_type.localeCompare(b.event_type))
    .map(([e, r]) => ({
      roles: r,
      sync_job_id: e.sync_job_id,
      event_type: e.event_type,
      svix_id: e.svix_id,
      timestamp: e.timestamp,
      received_at: e.received_at,
      known_at_t: e.received_at <= at,
    }));
}

/** Which register decides each status, following the status rule's order. */
export function decidingRole(status: FreshnessStatus): EvidenceRole {
  switch (status) {
    case 'failed':
      return 'last_terminal';
    case 'syncing':
      return 'latest_state';
    case 'stale':
    case 'fresh':
      return 'last_success';
    case 'unknown':
      return 'latest_state';
  }
}

export function decidingEvent(status: FreshnessStatus, evidence: readonly Evidence[]): Evidence | null {
  const role = decidingRole(status);
  return evidence.find((e) => e.roles.includes(role)) ?? null;
}
