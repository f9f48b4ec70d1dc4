import {
  firstTerminalKey,
  isActive,
  isLifecycleEventType,
  isTerminal,
  LIFECYCLE_EVENT_TYPES,
  rankOf,
  stateOf,
  transitionKey,
} from '../lambda/core/job-state';

const T1 = '2026-04-23T13:00:00.000000Z';
const T2 = '2026-04-23T13:00:00.000001Z';
const later = (a: string, b: string) => a > b;

describe('job lifecycle', () => {
  it('names the six lifecycle event types and maps each to its state', () => {
    expect(LIFECYCLE_EVENT_TYPES.map(stateOf)).toEqual([
      'pending',
      'running',
      'cancelling',
      'completed',
      'failed',
      'cancelled',
    ]);
    expect(LIFECYCLE_EVENT_TYPES.every(isLifecycleEventType)).toBe(true);
    expect(['sync.created', 'source_connection.created', 'completed', ''].some(isLifecycleEventType)).toBe(
      false,
    );
  });

  it('ranks the states in the order they can follow each other; the three terminal states share the top rank', () => {
    expect(['pending', 'running', 'cancelling', 'completed'].map((s) => rankOf(s as 'pending'))).toEqual([
      0, 1, 2, 3,
    ]);
    expect(rankOf('failed')).toBe(rankOf('completed'));
    expect(rankOf('cancelled')).toBe(rankOf('completed'));
  });

  it('terminal and active states: completed, failed and cancelled end a job; pending, running, cancelling do not', () => {
    const states = ['pending', 'running', 'cancelling', 'completed', 'failed', 'cancelled'] as const;
    expect(states.filter(isTerminal)).toEqual(['completed', 'failed', 'cancelled']);
    expect(states.filter(isActive)).toEqual(['pending', 'running', 'cancelling']);
    expect(isActive(null)).toBe(false);
  });
});

describe('the terminal tie-break', () => {
  it('latest transition: at equal time a failure outranks a cancellation, which outranks a success', () => {
    expect(later(transitionKey(T1, 'failed'), transitionKey(T1, 'cancelled'))).toBe(true);
    expect(later(transitionKey(T1, 'cancelled'), transitionKey(T1, 'completed'))).toBe(true);
    expect(later(transitionKey(T1, 'completed'), transitionKey(T1, 'cancelling'))).toBe(true);
    expect(later(transitionKey(T1, 'cancelling'), transitionKey(T1, 'running'))).toBe(true);
    expect(later(transitionKey(T1, 'running'), transitionKey(T1, 'pending'))).toBe(true);
  });

  it('latest transition: event time comes first, whatever the states', () => {
    expect(later(transitionKey(T2, 'pending'), transitionKey(T1, 'failed'))).toBe(true);
    expect(later(transitionKey(T2, 'completed'), transitionKey(T1, 'failed'))).toBe(true);
  });

  it('first terminal state: at equal time the failure comes first, then the cancellation, then the success', () => {
    expect(firstTerminalKey(T1, 'failed') < firstTerminalKey(T1, 'cancelled')).toBe(true);
    expect(firstTerminalKey(T1, 'cancelled') < firstTerminalKey(T1, 'completed')).toBe(true);
  });

  it('first terminal state: an earlier time comes first, whatever the states', () => {
    expect(firstTerminalKey(T1, 'completed') < firstTerminalKey(T2, 'failed')).toBe(true);
  });

  it('both keys pick the same state at equal time, so job and freshness agree', () => {
    const terminal = ['completed', 'failed', 'cancelled'] as const;
    const byLatest = [...terminal].sort((a, b) =>
      transitionKey(T1, b).localeCompare(transitionKey(T1, a)),
    )[0];
    const byFirst = [...terminal].sort((a, b) =>
      firstTerminalKey(T1, a).localeCompare(firstTerminalKey(T1, b)),
    )[0];
    expect(byLatest).toBe('failed');
    expect(byFirst).toBe('failed');
  });
});
