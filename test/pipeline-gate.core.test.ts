import {
  evaluateGate,
  executionName,
  type GateState,
  pipelinesFor,
  toGateState,
} from '../lambda/core/pipeline-gate';
import type { FreshnessRecord } from '../lambda/core/freshness';
import { settingsOf, sourceRecord, syncEvent } from './helpers/core-fixtures';

/** The gate as a pure function: the store and Step Functions are not involved (docs/DESIGN.md section 5). */
const COLLECTION = 'engineering-context-ab123';
const at = (time: string) => `2026-04-23T${time}.000000Z`;
const NOW = new Date('2026-04-23T13:55:00.000Z');

function spec(extra: Record<string, unknown> = {}) {
  const [pipeline] = settingsOf({
    pipelines: [
      { name: 'analysis', collection: COLLECTION, requires: ['github', 'linear'], window: '30m', ...extra },
    ],
  }).pipelines;
  return pipeline!;
}

function success(type: string, job: string, time: string, extra: Partial<FreshnessRecord> = {}) {
  return sourceRecord({
    source_type: type,
    source_connection_id: `conn-${type}`,
    latest_job_id: job,
    latest_state: 'completed',
    last_terminal_state: 'completed',
    last_success_at: at(time),
    last_success_job_id: job,
    ...extra,
  });
}

const trigger = (time: string) => syncEvent({ source_type: 'linear', timestamp: at(time) });

const gate = (overrides: Partial<GateState> = {}): GateState => ({ ...toGateState({}), ...overrides });

describe('pipeline gate decision', () => {
  it('is ready when every requirement completed within the window, and says what it consumed', () => {
    const records = [success('github', 'g1', '13:00:00'), success('linear', 'l1', '13:20:00')];
    expect(evaluateGate(spec(), trigger('13:20:00'), records, undefined, NOW)).toEqual({
      kind: 'ready',
      consumed: {
        github: {
          source_connection_id: 'conn-github',
          source_type: 'github',
          job_id: 'g1',
          completed_at: at('13:00:00'),
        },
        linear: {
          source_connection_id: 'conn-linear',
          source_type: 'linear',
          job_id: 'l1',
          completed_at: at('13:20:00'),
        },
      },
    });
  });

  it('counts a completion exactly one window away, on either side of the trigger, and not one second more', () => {
    const github = (time: string) => [success('github', 'g1', time), success('linear', 'l1', '13:20:00')];
    expect(evaluateGate(spec(), trigger('13:20:00'), github('12:50:00'), undefined, NOW).kind).toBe('ready');
    expect(evaluateGate(spec(), trigger('13:20:00'), github('13:50:00'), undefined, NOW).kind).toBe('ready');
    expect(evaluateGate(spec(), trigger('13:20:00'), github('12:49:59'), undefined, NOW)).toEqual({
      kind: 'waiting',
      missing: ['github'],
    });
    expect(evaluateGate(spec(), trigger('13:20:00'), github('13:50:01'), undefined, NOW).kind).toBe(
      'waiting',
    );
  });

  it('waits for every requirement with no success at all, naming each', () => {
    const neverSucceeded = sourceRecord({ source_type: 'linear', latest_state: 'running' });
    expect(evaluateGate(spec(), trigger('13:20:00'), [neverSucceeded], undefined, NOW)).toEqual({
      kind: 'waiting',
      missing: ['github', 'linear'],
    });
  });

  it('a failed source blocks: a required source whose latest terminal state is a failure blocks the run', () => {
    const records = [
      success('github', 'g1', '13:00:00'),
      success('linear', 'l1', '13:10:00', { last_terminal_state: 'failed', last_failure_job_id: 'l2' }),
    ];
    expect(evaluateGate(spec(), trigger('13:20:00'), records, undefined, NOW)).toEqual({
      kind: 'blocked',
      requirement: 'linear',
      jobId: 'l2',
    });
  });

  it('a blocked decision names the latest job when the failed job is unknown, and "unknown" without either', () => {
    const failed = (extra: Partial<FreshnessRecord>) => [
      success('github', 'g1', '13:00:00', { last_terminal_state: 'failed', ...extra }),
    ];
    const withLatest = failed({ last_failure_job_id: null, latest_job_id: 'g9' });
    expect(evaluateGate(spec(), trigger('13:20:00'), withLatest, undefined, NOW)).toMatchObject({
      jobId: 'g9',
    });
    const withNeither = failed({ last_failure_job_id: null, latest_job_id: null });
    expect(evaluateGate(spec(), trigger('13:20:00'), withNeither, undefined, NOW)).toMatchObject({
      kind: 'blocked',
      jobId: 'unknown',
    });
  });

  it('only the required sources are read: a failed source the pipeline does not require blocks nothing', () => {
    const records = [
      success('slack', 's1', '13:00:00', { last_terminal_state: 'failed', last_failure_job_id: 's1' }),
      success('github', 'g1', '13:00:00'),
      success('linear', 'l1', '13:20:00'),
    ];
    const decision = evaluateGate(spec(), trigger('13:20:00'), records, undefined, NOW);
    expect(decision.kind).toBe('ready');
    expect(Object.keys((decision as { consumed: object }).consumed)).toEqual(['github', 'linear']);
  });

  it('requires a source by connection id as well as by type', () => {
    const byId = spec({ requires: ['conn-github'] });
    const records = [success('github', 'g1', '13:00:00')];
    expect(evaluateGate(byId, trigger('13:20:00'), records, undefined, NOW)).toMatchObject({
      kind: 'ready',
      consumed: { 'conn-github': { job_id: 'g1' } },
    });
  });

  it('several connections of one type: the most recent success inside the window stands for the type', () => {
    const records = [
      success('github', 'g-old', '13:00:00', { source_connection_id: 'conn-a' }),
      success('github', 'g-new', '13:10:00', { source_connection_id: 'conn-b' }),
      success('github', 'g-mid', '13:05:00', { source_connection_id: 'conn-c' }),
      success('linear', 'l1', '13:20:00'),
    ];
    expect(evaluateGate(spec(), trigger('13:20:00'), records, undefined, NOW)).toMatchObject({
      consumed: { github: { job_id: 'g-new', source_connection_id: 'conn-b' } },
    });
  });

  it('a success whose job id is unknown is consumed with an empty job id', () => {
    const records = [
      success('github', 'g1', '13:00:00', { last_success_job_id: null }),
      success('linear', 'l1', '13:20:00'),
    ];
    expect(evaluateGate(spec(), trigger('13:20:00'), records, undefined, NOW)).toMatchObject({
      consumed: { github: { job_id: '' } },
    });
  });

  it('needs at least one completion newer than what the previous run consumed', () => {
    const records = [success('github', 'g1', '13:00:00'), success('linear', 'l1', '13:20:00')];
    const ready = evaluateGate(spec(), trigger('13:20:00'), records, undefined, NOW);
    const consumed = (ready as { consumed: GateState['consumed'] }).consumed;
    expect(evaluateGate(spec(), trigger('13:20:00'), records, gate({ consumed }), NOW)).toEqual({
      kind: 'consumed',
    });
    // One requirement newer than its consumed completion is enough.
    const older = { ...consumed, linear: { ...consumed.linear!, completed_at: at('13:19:59') } };
    expect(evaluateGate(spec(), trigger('13:20:00'), records, gate({ consumed: older }), NOW).kind).toBe(
      'ready',
    );
    // A requirement the previous run did not consume counts as newer.
    const { github } = consumed;
    expect(
      evaluateGate(spec(), trigger('13:20:00'), records, gate({ consumed: { github: github! } }), NOW).kind,
    ).toBe('ready');
  });

  describe('cooldown', () => {
    const records = [success('github', 'g1', '13:00:00'), success('linear', 'l1', '13:20:00')];
    const started = (time: string) => gate({ last_started_at: at(time) });

    it('holds a run until the cooldown since the last start has passed, and says until when', () => {
      expect(
        evaluateGate(spec({ cooldown: '1h' }), trigger('13:20:00'), records, started('13:00:00'), NOW),
      ).toEqual({
        kind: 'cooldown',
        until: '2026-04-23T14:00:00.000Z',
      });
    });

    it('is not permanent: one second after it ends the run is ready', () => {
      const justOver = new Date('2026-04-23T14:00:01.000Z');
      const atEnd = new Date('2026-04-23T14:00:00.000Z');
      expect(
        evaluateGate(spec({ cooldown: '1h' }), trigger('13:20:00'), records, started('13:00:00'), justOver)
          .kind,
      ).toBe('ready');
      expect(
        evaluateGate(spec({ cooldown: '1h' }), trigger('13:20:00'), records, started('13:00:00'), atEnd).kind,
      ).toBe('ready');
    });

    it('is measured in the unit written: 1h is 3600 seconds, not 3600 milliseconds or 3600 hours', () => {
      // Started 59 minutes before now: still cooling down. Started 61 minutes before: ready.
      const cooling = evaluateGate(
        spec({ cooldown: '1h' }),
        trigger('13:20:00'),
        records,
        started('12:56:00'),
        NOW,
      );
      expect(cooling).toEqual({ kind: 'cooldown', until: '2026-04-23T13:56:00.000Z' });
      const over = evaluateGate(
        spec({ cooldown: '1h' }),
        trigger('13:20:00'),
        records,
        started('12:54:00'),
        NOW,
      );
      expect(over.kind).toBe('ready');
    });

    it('without a cooldown, or before any start, a run may follow at once', () => {
      expect(evaluateGate(spec(), trigger('13:20:00'), records, started('13:54:59'), NOW).kind).toBe('ready');
      expect(evaluateGate(spec({ cooldown: '1h' }), trigger('13:20:00'), records, gate(), NOW).kind).toBe(
        'ready',
      );
      // No gate item yet: the first run of the pipeline.
      expect(evaluateGate(spec({ cooldown: '1h' }), trigger('13:20:00'), records, undefined, NOW).kind).toBe(
        'ready',
      );
    });
  });
});

describe('pipelines an event concerns', () => {
  const specs = [
    spec(),
    spec({ name: 'other', collection: 'other-collection' }),
    spec({ name: 'by-id', requires: ['conn-x'] }),
  ];

  it('the collection filter: only pipelines of the event collection, requiring its source', () => {
    const github = syncEvent({ source_type: 'github', source_connection_id: 'conn-1' });
    expect(pipelinesFor(specs, github).map((p) => p.name)).toEqual(['analysis']);
    const elsewhere = syncEvent({ source_type: 'github', collection_readable_id: 'another-one' });
    expect(pipelinesFor(specs, elsewhere)).toEqual([]);
    const unrequired = syncEvent({ source_type: 'slack', source_connection_id: 'conn-2' });
    expect(pipelinesFor(specs, unrequired)).toEqual([]);
    const byId = syncEvent({ source_type: 'notion', source_connection_id: 'conn-x' });
    expect(pipelinesFor(specs, byId).map((p) => p.name)).toEqual(['by-id']);
  });
});

describe('gate item', () => {
  it('reads back a stored gate, and an empty item as a gate that never ran', () => {
    expect(toGateState({})).toEqual({
      version: 0,
      consumed: {},
      last_started_at: null,
      execution_name: null,
      execution_input: null,
      confirmed_execution: null,
      blocked_by: null,
    });
    const stored = {
      version: 3,
      consumed: { github: { job_id: 'g1' } },
      last_started_at: at('13:00:00'),
      execution_name: 'analysis-3-abc',
      execution_input: '{}',
      confirmed_execution: 'analysis-2-def',
      blocked_by: 'l1',
    };
    expect(toGateState(stored)).toEqual(stored);
    expect(toGateState({ version: '3', blocked_by: 7 })).toMatchObject({ version: 0, blocked_by: null });
  });
});

describe('execution name', () => {
  const consumed = {
    github: { source_connection_id: 'c1', source_type: 'github', job_id: 'g1', completed_at: at('13:00:00') },
    linear: { source_connection_id: 'c2', source_type: 'linear', job_id: 'l1', completed_at: at('13:20:00') },
  };

  it('is derived from the claim alone: pipeline, claim number and a digest of what it consumed', () => {
    const name = executionName('analysis', 4, consumed);
    expect(name).toMatch(/^analysis-4-[0-9a-f]{12}$/);
    expect(executionName('analysis', 4, { linear: consumed.linear, github: consumed.github })).toBe(name);
    expect(executionName('analysis', 5, consumed)).not.toBe(name);
    expect(
      executionName('analysis', 4, { ...consumed, github: { ...consumed.github, job_id: 'g2' } }),
    ).not.toBe(name);
  });

  it('stays within Step Functions 80-character names for the longest pipeline name', () => {
    const name = executionName('p'.repeat(64), 12345, consumed);
    expect(name.startsWith(`${'p'.repeat(50)}-12345-`)).toBe(true);
    expect(name.length).toBeLessThanOrEqual(80);
  });
});
