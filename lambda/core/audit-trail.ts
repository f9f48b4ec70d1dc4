import type { SyncEvent } from './events';
import type { LifecycleEventType } from './job-state';

/**
 * The audit trail as freshness at T reads it (issue 12, docs/DESIGN.md section 8): a port, implemented on
 * the table by `adapters/store/audit-history.ts` (DynamoDB, or the in-memory table).
 */

/** An audit event as stored: the normalized event plus its delivery (svix-id, when it was received). */
export interface RecordedEvent extends SyncEvent {
  readonly svix_id: string;
  readonly received_at: string;
}

export interface HistoryPage {
  /** Newest first by event time. */
  readonly events: readonly RecordedEvent[];
  /** Where the next page starts; undefined when the history is exhausted. */
  readonly next?: unknown;
}

/** One failure in the failure index: enough to pick each source's latest one, which is then read by key. */
export interface FailureEntry {
  readonly source_key: string;
  readonly sync_job_id: string;
  readonly timestamp: string;
  readonly received_at: string;
}

export interface FailurePage {
  /** Newest first by event time. */
  readonly entries: readonly FailureEntry[];
  readonly next?: unknown;
}

/** The audit trail, read by partition (never a scan) and by key. */
export interface AuditHistory {
  /** One page of a collection's events (every source) with event time at or before `until`, newest first. */
  collectionHistory(query: {
    readonly collection: string;
    readonly until: string;
    readonly limit: number;
    readonly cursor?: unknown;
  }): Promise<HistoryPage>;
  /** One page of a source's events in one collection with event time at or before `until`, newest first. */
  sourceHistory(query: {
    readonly collection: string;
    readonly sourceKey: string;
    readonly until: string;
    readonly limit: number;
    readonly cursor?: unknown;
  }): Promise<HistoryPage>;
  /** One page of a collection's failures with event time from `from` to `until`, newest first. */
  failures(query: {
    readonly collection: string;
    readonly from: string;
    readonly until: string;
    readonly limit: number;
    readonly cursor?: unknown;
  }): Promise<FailurePage>;
  /**
   * The event time from which the failure index holds every failure ('' for always), or undefined when
   * that is not known (the table had failures before the index existed): then it is not used.
   */
  failureIndexSince(): Promise<string | undefined>;
  /** Audit events by their natural key, in one batch; those not (or no longer) recorded are left out. */
  auditEvents(
    keys: ReadonlyArray<{ readonly jobId: string; readonly eventType: LifecycleEventType }>,
  ): Promise<RecordedEvent[]>;
  /** A source's oldest retained event in one collection. */
  firstEvent(collection: string, sourceKey: string): Promise<RecordedEvent | undefined>;
}
