/**
 * The metrics the functions emit (CloudWatch embedded metric format) and the dashboard and alarms read:
 * one definition of names, dimensions and namespace for both sides.
 */
export const METRICS_NAMESPACE = 'AirweaveSyncEvents';

/** The `service` dimension every metric carries, one per function. */
export const SERVICE = {
  webhook: 'webhook',
  watchdog: 'watchdog',
  reconcile: 'reconcile',
  failureIndexStamp: 'failure-index-stamp',
} as const;

export const METRIC = {
  /** Lifecycle events recorded for the first time; dimensions event_type, source_type. */
  events: 'Events',
  duplicates: 'Duplicates',
  ignored: 'Ignored',
  quarantined: 'Quarantined',
  rejectedSignatures: 'RejectedSignatures',
  /** Seconds from a job's `running` to its `completed`; dimension source_type. */
  syncDuration: 'SyncDuration',
  /** Dimension pipeline. */
  pipelineRunsStarted: 'PipelineRunsStarted',
  pipelinesBlocked: 'PipelinesBlocked',
  /** Per watchdog run: sources past their SLA, jobs active too long, the oldest last success. */
  staleSources: 'StaleSources',
  stuckJobs: 'StuckJobs',
  oldestSuccessAge: 'OldestSuccessAge',
  /** Lifecycle events recorded for the first time, by how they became known; dimension origin (webhook | reconciled). */
  recordedEvents: 'RecordedEvents',
  /** Answers of Airweave's API that were not 2xx; dimension status (`none`: no answer). */
  airweaveApiErrors: 'AirweaveApiErrors',
  /** Reconciliation runs; dimension outcome (ok, partial, backed-off, unauthorized, not-configured). */
  reconcileRuns: 'ReconcileRuns',
  /** 1 per reconciliation run that did not check every source, 0 per run that did: the alarm's metric. */
  reconcileFailedRuns: 'ReconcileFailedRuns',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export interface MetricsSink {
  count(name: MetricName, dimensions?: Readonly<Record<string, string>>, value?: number): void;
  seconds(name: MetricName, value: number, dimensions?: Readonly<Record<string, string>>): void;
}

export const noMetrics: MetricsSink = { count: () => {}, seconds: () => {} };
