import { emptyRecord, type FreshnessRecord } from '../lambda/core/freshness';
import type { PipelineView } from '../lambda/core/pipeline-view';
import { recentAlerts } from '../lambda/core/recent-alerts';

/** The board's recent alerts (core/recent-alerts.ts): the states, fallbacks, order and limit of each line. */
const NOW = new Date('2026-04-23T14:00:00.000Z');
const record = (overrides: Partial<FreshnessRecord>): FreshnessRecord => ({
  ...emptyRecord({
    collection_readable_id: 'docs',
    collection_name: 'Docs',
    source_key: 'conn-github',
    source_connection_id: 'conn-github',
    source_type: 'github',
  }),
  ...overrides,
});
const blocked = (
  overrides: Partial<PipelineView & { team: string }> = {},
): PipelineView & { team?: string } => ({
  name: 'digest',
  collection: 'docs',
  requires: ['github', 'conn-linear'],
  window: '30m',
  gate: { state: 'blocked', runs_claimed: 0, last_started_at: null, consumed: null, blocked_by: 'j1' },
  runs: [],
  ...overrides,
});
const input = (over: Partial<Parameters<typeof recentAlerts>[0]>) => ({
  records: [],
  pipelines: [],
  failedJobs: new Map(),
  rules: [],
  routes: [],
  now: NOW,
  ...over,
});
const failure = (at: string, job: string, extra: Partial<FreshnessRecord> = {}) =>
  record({ last_terminal_state: 'failed', last_failure_at: at, last_failure_job_id: job, ...extra });

describe('recent alerts, line by line', () => {
  it("a failure's alert is sending while teams are told but not settled, not sent without its job", () => {
    const alerts = recentAlerts(
      input({
        records: [
          failure('2026-04-23T13:00:00.000000Z', 'j1'),
          failure('2026-04-23T12:00:00.000000Z', 'j2', { source_key: 'b', source_type: 'linear' }),
          failure('2026-04-23T11:00:00.000000Z', 'j3', { source_key: 'c', source_type: 'slack' }),
        ],
        failedJobs: new Map([
          ['j1', { alerted_teams: ['eng'], alert_sent_at: null }],
          ['j2', { alerted_teams: [], alert_sent_at: null }],
        ]),
      }),
    );
    expect(alerts.map((a) => [a.source_type, a.teams, a.state])).toEqual([
      ['github', ['eng'], 'sending'],
      ['linear', ['default'], 'not sent'],
      ['slack', ['default'], 'not sent'],
    ]);
    // A failure time without its job (or the reverse) is not an alert.
    expect(
      recentAlerts(input({ records: [record({ last_failure_at: '2026-04-23T13:00:00.000000Z' })] })),
    ).toEqual([]);
    expect(recentAlerts(input({ records: [record({ last_failure_job_id: 'j9' })] }))).toEqual([]);
  });

  it('an open stale episode without an SLA or a success has no time and sorts last; a stuck one falls back to the latest event', () => {
    const alerts = recentAlerts(
      input({
        records: [
          record({ stale_episode: 'e1', last_success_at: '2026-04-23T06:00:00.000000Z' }),
          record({ source_key: 'b', stuck_episode: 'j5', latest_at: '2026-04-23T09:00:00.000000Z' }),
          record({ source_key: 'c', stuck_episode: 'j6' }),
        ],
      }),
    );
    expect(alerts.map((a) => [a.kind, a.at])).toEqual([
      ['job.stuck', '2026-04-23T09:00:00.000000Z'],
      ['source.stale', null],
      ['job.stuck', null],
    ]);
    expect(alerts[2]?.subject).toBe('Stuck sync job: docs / github active since');
  });

  it('a blocked pipeline names its failed required sources of its collection, newest first, dated by the newest', () => {
    const alerts = recentAlerts(
      input({
        records: [
          failure('2026-04-23T10:00:00.000000Z', 'j1'),
          failure('2026-04-23T12:00:00.000000Z', 'j2', {
            source_key: 'l',
            source_type: 'linear',
            source_connection_id: 'conn-linear',
          }),
          failure('2026-04-23T13:00:00.000000Z', 'j3', {
            source_key: 's',
            source_type: 'slack',
            source_connection_id: 's',
          }),
          failure('2026-04-23T13:30:00.000000Z', 'j4', { collection_readable_id: 'other', source_key: 'o' }),
          record({ source_key: 'ok', source_type: 'github', last_terminal_state: 'completed' }),
        ],
        pipelines: [blocked()],
      }),
    ).filter((a) => a.kind === 'pipeline.blocked');
    expect(alerts).toEqual([
      {
        at: '2026-04-23T12:00:00.000000Z',
        kind: 'pipeline.blocked',
        subject: 'Pipeline digest blocked: linear, github failed in docs',
        collection_readable_id: 'docs',
        source_type: 'linear',
        teams: ['default'],
        state: 'open',
      },
    ]);
  });

  it('a blocked pipeline whose failure is no longer on record says "a source"; a failed run without an end is dated at its start', () => {
    const alerts = recentAlerts(
      input({
        pipelines: [
          blocked({
            team: 'eng',
            runs: [
              {
                execution_name: 'x1',
                status: 'failed',
                started_at: '2026-04-23T11:00:00.000Z',
                finished_at: null,
                consumed: null,
                error: null,
              },
              {
                execution_name: 'x0',
                status: 'running',
                started_at: '2026-04-23T12:00:00.000Z',
                finished_at: null,
                consumed: null,
                error: null,
              },
            ],
          }),
        ],
      }),
    );
    expect(alerts).toEqual([
      {
        at: '2026-04-23T11:00:00.000Z',
        kind: 'pipeline.failed',
        subject: 'Pipeline digest failed (x1)',
        collection_readable_id: 'docs',
        source_type: null,
        teams: ['eng'],
        state: 'failed run',
      },
      {
        at: null,
        kind: 'pipeline.blocked',
        subject: 'Pipeline digest blocked: a source failed in docs',
        collection_readable_id: 'docs',
        source_type: null,
        teams: ['eng'],
        state: 'open',
      },
    ]);
  });

  it('keeps the newest 50 unless told otherwise', () => {
    const records = Array.from({ length: 60 }, (_, i) =>
      failure(`2026-04-23T12:${String(i).padStart(2, '0')}:00.000000Z`, `j${i}`, { source_key: `s${i}` }),
    );
    const all = recentAlerts(input({ records }));
    expect(all).toHaveLength(50);
    expect(all[0]?.at).toBe('2026-04-23T12:59:00.000000Z');
    expect(all[49]?.at).toBe('2026-04-23T12:10:00.000000Z');
    expect(recentAlerts(input({ records, limit: 3 })).map((a) => a.at)).toEqual([
      '2026-04-23T12:59:00.000000Z',
      '2026-04-23T12:58:00.000000Z',
      '2026-04-23T12:57:00.000000Z',
    ]);
  });
});
