import type { Alert } from './alerts';
import type { Claimant, Standoff } from './claims';
import type { SyncEvent } from './events';
import type { FreshnessRecord } from './freshness';
import type { AuditHistory } from './audit-trail';
import type { Consumed, GateState } from './pipeline-gate';
import type { PipelineReader } from './pipeline-view';

/**
 * The small interfaces the use cases depend on. The DynamoDB adapter implements them for Lambda and for
 * local mode (against the embedded engine); nothing here knows about AWS.
 */
export interface Delivery {
  /** svix-id: the same on every retry of one message. */
  readonly id: string;
  /** When this attempt was received, normalized. */
  readonly receivedAt: string;
}

export interface QuarantinedDelivery extends Delivery {
  readonly reason: string;
  readonly body: Buffer;
  /** The signature headers, so a replay can verify the delivery again. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface JobTimes {
  readonly running_at: string | null;
  readonly completed_at: string | null;
}

/** Each write is one single-item conditional write, safe to repeat, independent of the others. */
export interface EventRecorder {
  /** Adds the audit record keyed by (job, event type); false when it was already there. */
  putAuditEvent(event: SyncEvent, delivery: Delivery): Promise<boolean>;
  /**
   * Moves the job's record forward (state, per-state times); a late or repeated event changes nothing.
   * Returns the job's running and completion times as they now stand, when the event changed the record.
   */
  advanceJob(event: SyncEvent): Promise<JobTimes | undefined>;
  /** Moves the source's freshness forward in event time. */
  advanceFreshness(event: SyncEvent): Promise<void>;
  /** Counts a delivery of a non-lifecycle event; false when that delivery was already counted. */
  recordIgnored(delivery: Delivery, eventType: string): Promise<boolean>;
  /** Keeps a signed but unusable delivery, raw, for replay; false when it was already kept. */
  quarantine(delivery: QuarantinedDelivery): Promise<boolean>;
  /** Removes a quarantined delivery once a replay has recorded it. */
  resolveQuarantine(deliveryId: string): Promise<void>;
  /**
   * Takes back the audit record this very delivery just added (its `putAuditEvent` answered true) when
   * another of its writes was refused for good: the audit must not show an event whose effects are missing.
   */
  withdrawAuditEvent(event: SyncEvent): Promise<void>;
}

export interface FreshnessReader {
  collectionFreshness(collection: string): Promise<FreshnessRecord[]>;
  allFreshness(): Promise<FreshnessRecord[]>;
}

/** The signing keys, read through a cache; `reload` bypasses it once (after a rotation). */
export interface SigningKeys {
  current(): Promise<readonly Buffer[]>;
  /** Fresh keys when the cached ones may be out of date, else undefined (nothing new to try). */
  reload(): Promise<readonly Buffer[] | undefined>;
}

/** Structured logging, so the use cases name their keys (svix-id, job, collection) without a logging library. */
export interface Log {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Publishing, behind one interface: SNS on AWS, the console and a JSON-lines file locally. */
export interface Notifier {
  /** The events topic: every lifecycle event, at least once, for caches and other subscribers. */
  publishEvent(event: SyncEvent): Promise<void>;
  /** One team's alert topic. */
  publishAlert(team: string, alert: Alert): Promise<void>;
}

/**
 * What makes alerts once-only: a claim on the job (failure alerts) or the source (watchdog episodes),
 * taken with a conditional write before publishing and settled after, so retried, duplicated and
 * concurrent deliveries alert once, and a failed publish is retried rather than lost.
 */
export interface AlertLedger {
  /**
   * Claims the failure alert of a job whose final state is `failed`, for one attempt of a delivery.
   * Returns the teams already alerted by an earlier, partly failed attempt, or the standoff when the claim
   * was not taken: `done` (sent, claimed for another message, or the job did not end in failure), `busy`
   * (an earlier attempt of this same message holds it: this attempt must be retried).
   */
  claimFailureAlert(
    jobId: string,
    claimant: Claimant,
    now: string,
  ): Promise<{ alreadyAlerted: string[] } | Standoff>;
  /** Records the teams alerted and releases the claim; `complete` marks the alert sent for good. */
  settleFailureAlert(
    jobId: string,
    claimant: Claimant,
    alerted: readonly string[],
    complete: boolean,
    now: string,
  ): Promise<void>;
  /** One source's freshness record (for the alert's body). */
  sourceRecord(collection: string, sourceKey: string): Promise<FreshnessRecord | undefined>;
  /** Opens a watchdog episode (`stale` or `stuck`) unless that very episode is already open. */
  openEpisode(collection: string, sourceKey: string, kind: EpisodeKind, episode: string): Promise<boolean>;
  /** Closes an episode if it is still the one given; false when another run already closed it. */
  closeEpisode(collection: string, sourceKey: string, kind: EpisodeKind, episode: string): Promise<boolean>;
}

export type EpisodeKind = 'stale' | 'stuck';

/** The pipeline gate items (one per pipeline), behind conditional writes. */
export interface PipelineGates {
  pipelineGate(name: string): Promise<GateState | undefined>;
  /** Claims the next run if the gate is still at `expectedVersion` (0: no gate yet); false when another claim won. */
  claimPipelineRun(
    spec: { name: string; collection: string },
    expectedVersion: number,
    claim: {
      executionName: string;
      input: string;
      consumed: Readonly<Record<string, Consumed>>;
      now: string;
    },
  ): Promise<boolean>;
  /** Records that StartExecution accepted the claimed execution. */
  confirmPipelineRun(name: string, executionName: string): Promise<void>;
  /**
   * Marks the pipeline blocked by a failed job, to be alerted by this attempt; else the standoff, as for
   * the failure alert (`busy`: an earlier attempt of this same message holds the unconfirmed block).
   */
  blockPipeline(
    spec: { name: string; collection: string },
    jobId: string,
    claimant: Claimant,
    now: string,
  ): Promise<'claimed' | Standoff>;
  /** Records that the block's alert went out, so an expired claim is not taken again. */
  confirmPipelineBlocked(name: string, jobId: string): Promise<void>;
  unblockPipeline(name: string, jobId: string): Promise<void>;
}

/** Starts a pipeline's state machine. Idempotent by execution name (as Step Functions is for Standard workflows). */
export interface PipelineStarter {
  start(pipeline: string, executionName: string, input: string): Promise<void>;
}

export interface HistoryFilter {
  /** A source key (gsi1), else a collection (gsi2). */
  readonly source?: string;
  readonly collection?: string;
  readonly since?: string;
  readonly until?: string;
  readonly limit: number;
}

/** Up to `limit` items of a history, newest first. */
export interface HistoryPage {
  readonly items: Record<string, unknown>[];
  /** More items match than `limit`: a reader is told so rather than given a part as the whole. */
  readonly more: boolean;
}

/** The CLI's and the query API's reads: items as stored, newest first where it matters. */
export interface ReadModels extends FreshnessReader, PipelineReader {
  job(
    jobId: string,
  ): Promise<{ job: Record<string, unknown> | undefined; events: Record<string, unknown>[] }>;
  events(filter: HistoryFilter): Promise<HistoryPage>;
  jobs(filter: HistoryFilter): Promise<HistoryPage>;
  quarantined(): Promise<Record<string, unknown>[]>;
}

/** Every storage port, as one store (DynamoDB, or the in-memory one) provides them. */
export interface Stores {
  readonly recorder: EventRecorder;
  readonly freshness: FreshnessReader;
  readonly ledger: AlertLedger;
  readonly gates: PipelineGates;
  readonly reads: ReadModels;
  /** The audit trail by source, for point-in-time freshness. */
  readonly history: AuditHistory;
}
