/**
 * Sync job lifecycle, in the order states can follow each other. A job's record only moves forward:
 * a late lower state never overwrites a higher one, and the first terminal state (by event time) is final.
 */
export const LIFECYCLE_EVENT_TYPES = [
  'sync.pending',
  'sync.running',
  'sync.cancelling',
  'sync.completed',
  'sync.failed',
  'sync.cancelled',
] as const;
export type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPES)[number];
export type JobState = 'pending' | 'running' | 'cancelling' | 'completed' | 'failed' | 'cancelled';

export const TERMINAL_RANK = 3;

const RANK: Record<JobState, number> = {
  pending: 0,
  running: 1,
  cancelling: 2,
  completed: TERMINAL_RANK,
  failed: TERMINAL_RANK,
  cancelled: TERMINAL_RANK,
};

/**
 * The one tie-break between terminal states with the same event time, so the outcome never depends on
 * arrival order: a failure outranks a cancellation, which outranks a success (the pessimistic reading).
 * Higher wins. Both keys below derive from it: the latest transition (freshness) and the first terminal
 * state (the job) pick the same state at equal times.
 */
const TERMINAL_ORDER: Partial<Record<JobState, number>> = { completed: 1, cancelled: 2, failed: 3 };

/** A job in one of these states is still running, as far as anyone knows. */
export const ACTIVE_STATES: ReadonlySet<JobState> = new Set<JobState>(['pending', 'running', 'cancelling']);

export function isLifecycleEventType(type: string): type is LifecycleEventType {
  return (LIFECYCLE_EVENT_TYPES as readonly string[]).includes(type);
}

export function stateOf(type: LifecycleEventType): JobState {
  return type.slice('sync.'.length) as JobState;
}

export function rankOf(state: JobState): number {
  return RANK[state];
}

export function isTerminal(state: JobState): boolean {
  return RANK[state] === TERMINAL_RANK;
}

export function isActive(state: JobState | null): boolean {
  // Stryker disable next-line ConditionalExpression: the set never holds null, so the check only narrows the type
  return state !== null && ACTIVE_STATES.has(state);
}

export function terminalOrder(state: JobState): number {
  return TERMINAL_ORDER[state] ?? 0;
}

/**
 * The order of one job's transitions as a single comparable key, the greater the later: event time
 * first, then lifecycle rank, then the terminal tie-break. Used where "the latest transition" must not
 * depend on arrival order.
 */
export function transitionKey(timestamp: string, state: JobState): string {
  return `${timestamp}#${RANK[state]}${terminalOrder(state)}`;
}

/**
 * The first terminal state's key, the smaller the first: event time first, then the same tie-break as
 * `transitionKey` (a higher `terminalOrder` gives a smaller key, so at equal time the failure is first).
 */
export function firstTerminalKey(timestamp: string, state: JobState): string {
  return `${timestamp}#${9 - terminalOrder(state)}`;
}
