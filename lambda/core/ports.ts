import type { SyncEvent } from './events';
import type { FreshnessRecord } from './freshness';

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

/** Each write is one single-item conditional write, safe to repeat, independent of the others. */
export interface EventRecorder {
  /** Adds the audit record keyed by (job, event type); false when it was already there. */
  putAuditEvent(event: SyncEvent, delivery: Delivery): Promise<boolean>;
  /** Moves the job's record forward (state, per-state times); a late or repeated event changes nothing. */
  advanceJob(event: SyncEvent): Promise<void>;
  /** Moves the source's freshness forward in event time. */
  advanceFreshness(event: SyncEvent): Promise<void>;
  /** Counts a delivery of a non-lifecycle event; false when that delivery was already counted. */
  recordIgnored(delivery: Delivery, eventType: string): Promise<boolean>;
  /** Keeps a signed but unusable delivery, raw, for replay; false when it was already kept. */
  quarantine(delivery: QuarantinedDelivery): Promise<boolean>;
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
