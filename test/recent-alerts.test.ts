import { emptyRecord, type FreshnessRecord } from '../lambda/core/freshness';
import type { PipelineView } from '../lambda/core/pipeline-view';
import { recentAlerts } from '../lambda/core/recent-alerts';

/** The board's recent alerts for a deployed stack, derived from the record alone (pure, fixed clock). */
const NOW = new Date('2026-04-23T14:00:00.000Z');

function record(overrides: Partial<FreshnessRecord>): FreshnessRecord {
  return {
    ...emptyRecord({
      collection_readable_id: 'engineering-context-ab123',
      collection_name: 'Engineering',
      source_key: 'conn-github',
      source_connection_id: 'conn-github',
      source_type: 'github',
    }),
    ...overrides,
  };
}

const pipeline = (overrides: Partial<PipelineView & { team: string }>): PipelineView & { team?: string } => ({
  name: 'digest',
  collection: 'engineering-context-ab123',
  requires: ['github', 'linear'],
  window: '30m',
  gate: { state: 'waiting', runs_claimed: 0, last_started_at: null, consumed: null, blocked_by: null },
  runs: [],
  ...overrides,
});

const routes = [{ team: 'platform', match: { collections: ['engineering-*'] } }];
const rules = [{ collection: '*', sourceType: 'github', maxAge: 6 * 3600 }];

describe('recent alerts derived from the table', () => {
  it("shows a source's latest failure with the teams its job was alerted to and whether the alert settled", () => {
    const failed = record({
      last_terminal_state: 'failed',
      last_failure_at: '2026-04-23T13:50:00.000000Z',
      last_failure_job_id: 'job-1',
      last_error: 'token expired',
    });
    const linear = record({
      source_key: 'conn-linear',
      source_connection_id: 'conn-linear',
      source_type: 'linear',
      last_terminal_state: 'failed',
      last_failure_at: '2026-04-23T13:55:00.000000Z',
      last_failure_job_id: 'job-2',
    });
    const alerts = recentAlerts({
      records: [failed, linear],
      pipelines: [],
      failedJobs: new Map([
        ['job-1', { alerted_teams: ['platform', 'security'], alert_sent_at: '2026-04-23T13:50:01.000000Z' }],
      ]),
      rules: [],
      routes,
      now: NOW,
    });
    expect(alerts).toEqual([
      // Newest first; a job whose alert is not settled says so, with the teams routing would pick.
      expect.objectContaining({
        kind: 'sync.failed',
        source_type: 'linear',
        teams: ['platform'],
        state: 'not sent',
      }),
      {
        at: '2026-04-23T13:50:00.000000Z',
        kind: 'sync.failed',
        subject: 'Sync failed: engineering-context-ab123 / github: token expired',
        collection_readable_id: 'engineering-context-ab123',
        source_type: 'github',
        teams: ['platform', 'security'],
        state: 'sent',
      },
    ]);
  });

  it('shows open watchdog episodes: stale from when the SLA ran out, stuck from when the job started', () => {
    const alerts = recentAlerts({
      records: [
        record({
          last_success_at: '2026-04-23T06:00:00.000000Z',
          stale_episode: '2026-04-23T06:00:00.000000Z',
        }),
        record({
          source_key: 'conn-slack',
          source_type: 'slack',
          latest_job_id: 'job-9',
          latest_state: 'running',
          running_job_id: 'job-9',
          running_at: '2026-04-23T03:00:00.000000Z',
          stuck_episode: 'job-9',
        }),
        // A source past its SLA whose episode the watchdog has not opened (or has closed) is not an alert.
        record({ source_key: 'conn-quiet', last_success_at: '2026-04-22T00:00:00.000000Z' }),
        // Nor is a retired source, whatever its record still says.
        record({
          source_key: 'conn-gone',
          last_success_at: '2026-04-22T00:00:00.000000Z',
          stale_episode: '2026-04-22T00:00:00.000000Z',
          last_failure_at: '2026-04-23T13:59:00.000000Z',
          last_failure_job_id: 'job-gone',
          retired_at: '2026-04-23T13:00:00.000000Z',
        }),
      ],
      pipelines: [],
      failedJobs: new Map(),
      rules,
      routes,
      now: NOW,
    });
    expect(alerts.map((a) => [a.kind, a.at, a.state])).toEqual([
      ['source.stale', '2026-04-23T12:00:00.000000Z', 'open'],
      ['job.stuck', '2026-04-23T03:00:00.000000Z', 'open'],
    ]);
    expect(alerts[0]?.subject).toMatch(/^Stale source: engineering-context-ab123 \/ github/);
  });

  it("shows a blocked pipeline and failed runs, to the pipeline's team", () => {
    const alerts = recentAlerts({
      records: [
        record({
          source_type: 'linear',
          last_terminal_state: 'failed',
          last_failure_at: '2026-04-23T13:40:00.000000Z',
        }),
      ],
      pipelines: [
        pipeline({
          team: 'platform',
          gate: {
            state: 'blocked',
            runs_claimed: 2,
            last_started_at: null,
            consumed: null,
            blocked_by: 'job-3',
          },
          runs: [
            {
              execution_name: 'digest-2-abc',
              status: 'failed',
              started_at: '2026-04-23T12:00:00.000Z',
              finished_at: '2026-04-23T12:01:00.000Z',
              consumed: null,
              error: null,
            },
            {
              execution_name: 'digest-1-def',
              status: 'succeeded',
              started_at: '2026-04-23T11:00:00.000Z',
              finished_at: '2026-04-23T11:01:00.000Z',
              consumed: null,
              error: null,
            },
          ],
        }),
        pipeline({ name: 'unteamed', runs: [] }),
      ],
      failedJobs: new Map(),
      rules: [],
      routes,
      now: NOW,
    });
    expect(alerts.map((a) => [a.kind, a.subject, a.teams])).toEqual([
      [
        'pipeline.blocked',
        'Pipeline digest blocked: linear failed in engineering-context-ab123',
        ['platform'],
      ],
      ['pipeline.failed', 'Pipeline digest failed (digest-2-abc)', ['platform']],
    ]);
  });
});
