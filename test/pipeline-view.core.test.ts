import type { FreshnessRecord } from '../lambda/core/freshness';
import type { PipelineSpec } from '../lambda/core/pipeline-gate';
import { pipelineView, pipelineViews, type PipelineReader } from '../lambda/core/pipeline-view';
import { sourceRecord } from './helpers/core-fixtures';

/** The `GET /pipelines` view of one pipeline: its gate item, its run items and its collection's sources. */
const spec: PipelineSpec = {
  name: 'analysis',
  collection: 'docs-ab12',
  requires: ['github', 'sc-linear'],
  window: 5400,
  cooldown: 0,
  team: 'eng',
};
const at = (time: string) => `2026-04-23T${time}.000000Z`;
const source = (type: string, id: string, overrides: Partial<FreshnessRecord> = {}) =>
  sourceRecord({ source_type: type, source_connection_id: id, ...overrides });
const run = (name: string, status: string, started: string, extra: Record<string, unknown> = {}) => ({
  execution_name: name,
  status,
  started_at: at(started),
  ...extra,
});

describe('pipelineView', () => {
  it('shows the spec with its window as a duration, the gate item and no runs: waiting', () => {
    const gate = {
      version: 3,
      last_started_at: at('10:00:00'),
      consumed: { github: { job_id: 'j1' } },
      blocked_by: 'old-job',
    };
    expect(pipelineView(spec, gate, [], [source('github', 'sc-gh')])).toEqual({
      name: 'analysis',
      collection: 'docs-ab12',
      requires: ['github', 'sc-linear'],
      window: '90m',
      gate: {
        state: 'waiting',
        runs_claimed: 3,
        last_started_at: at('10:00:00'),
        consumed: { github: { job_id: 'j1' } },
        // A gate item keeps the last blocking job; only a blocked pipeline shows it.
        blocked_by: null,
      },
      runs: [],
    });
  });

  it('a pipeline with no gate item yet has claimed no runs', () => {
    expect(pipelineView(spec, undefined, [], []).gate).toEqual({
      state: 'waiting',
      runs_claimed: 0,
      last_started_at: null,
      consumed: null,
      blocked_by: null,
    });
    expect(pipelineView(spec, { version: '2', last_started_at: 7 }, [], []).gate).toMatchObject({
      runs_claimed: 0,
      last_started_at: null,
    });
  });

  it('a required source (by type or by connection id) whose last terminal state failed blocks it, naming the job', () => {
    const gate = { version: 1, blocked_by: 'job-9' };
    for (const failed of [
      source('github', 'sc-gh', { last_terminal_state: 'failed' }),
      source('linear', 'sc-linear', { last_terminal_state: 'failed' }),
    ])
      expect(pipelineView(spec, gate, [], [source('slack', 'sc-s'), failed]).gate).toMatchObject({
        state: 'blocked',
        blocked_by: 'job-9',
      });
  });

  it('a pipeline blocked before its gate item exists names no job', () => {
    const failed = [source('github', 'sc-gh', { last_terminal_state: 'failed' })];
    expect(pipelineView(spec, undefined, [], failed).gate).toMatchObject({
      state: 'blocked',
      blocked_by: null,
    });
  });

  it('a failure of a source the pipeline does not require, or an older one since resolved, does not block', () => {
    const records = [
      source('slack', 'sc-s', { last_terminal_state: 'failed' }),
      source('github', 'sc-gh', { last_terminal_state: 'completed', last_failure_at: at('09:00:00') }),
    ];
    expect(pipelineView(spec, { blocked_by: 'job-9' }, [], records).gate.state).toBe('waiting');
  });

  it('its newest run running makes it running, even while a source has failed', () => {
    const runs = [run('analysis-1', 'failed', '09:00:00'), run('analysis-2', 'running', '10:00:00')];
    const failed = [source('github', 'sc-gh', { last_terminal_state: 'failed' })];
    const view = pipelineView(spec, { blocked_by: 'job-9' }, runs, failed);
    expect(view.gate).toMatchObject({ state: 'running', blocked_by: null });
    // An older run still marked running does not count.
    const older = [run('analysis-1', 'running', '09:00:00'), run('analysis-2', 'succeeded', '10:00:00')];
    expect(pipelineView(spec, undefined, older, []).gate.state).toBe('waiting');
  });

  it('lists runs newest first, at most `limit` (10 by default), their JSON fields read back as JSON', () => {
    const runs = Array.from({ length: 12 }, (_, i) =>
      run(`analysis-${i}`, 'succeeded', `${String(i).padStart(2, '0')}:00:00`, {
        finished_at: at('23:00:00'),
        consumed: JSON.stringify({ github: { job_id: `j${i}` } }),
      }),
    );
    const view = pipelineView(spec, undefined, runs, []);
    expect(view.runs).toHaveLength(10);
    expect(view.runs.map((r) => r.execution_name)).toEqual(
      Array.from({ length: 10 }, (_, i) => `analysis-${11 - i}`),
    );
    expect(view.runs[0]).toEqual({
      execution_name: 'analysis-11',
      status: 'succeeded',
      started_at: at('11:00:00'),
      finished_at: at('23:00:00'),
      consumed: { github: { job_id: 'j11' } },
      error: null,
    });
    expect(pipelineView(spec, undefined, runs, [], 2).runs.map((r) => r.execution_name)).toEqual([
      'analysis-11',
      'analysis-10',
    ]);
  });

  it('a run item missing fields shows defaults; text that is not JSON is shown as it is', () => {
    const view = pipelineView(
      spec,
      undefined,
      [{ consumed: 'not json', error: { Error: 'States.TaskFailed' }, finished_at: 5 }],
      [],
    );
    expect(view.runs).toEqual([
      {
        execution_name: '',
        status: 'unknown',
        started_at: null,
        finished_at: null,
        consumed: 'not json',
        error: { Error: 'States.TaskFailed' },
      },
    ]);
  });
});

describe('pipelineViews', () => {
  it("reads each pipeline's gate and runs and its own collection's sources", async () => {
    const other: PipelineSpec = { ...spec, name: 'digest', collection: 'other-cd34', requires: ['slack'] };
    const reads: string[] = [];
    const reader: PipelineReader = {
      async pipeline(name) {
        reads.push(`pipeline ${name}`);
        return { gate: { version: name === 'digest' ? 2 : 1 }, runs: [] };
      },
      async collectionFreshness(collection) {
        reads.push(`freshness ${collection}`);
        return collection === 'other-cd34'
          ? [source('slack', 'sc-s', { last_terminal_state: 'failed' })]
          : [];
      },
    };
    const views = await pipelineViews([spec, other], reader);
    expect(views.map((v) => [v.name, v.gate.runs_claimed, v.gate.state])).toEqual([
      ['analysis', 1, 'waiting'],
      ['digest', 2, 'blocked'],
    ]);
    expect(reads.sort()).toEqual([
      'freshness docs-ab12',
      'freshness other-cd34',
      'pipeline analysis',
      'pipeline digest',
    ]);
  });
});
