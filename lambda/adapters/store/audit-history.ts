import type {
  AuditHistory,
  FailureEntry,
  FailurePage,
  HistoryPage,
  RecordedEvent,
} from '../../core/audit-trail';
import type { LifecycleEventType } from '../../core/job-state';
import { BOOKKEEPING_ATTRIBUTES, keys } from '../../core/table-schema';
import type { ItemTable } from './item-table';

/**
 * The audit trail as freshness at T reads it, one small page at a time so the rebuild stops as soon as it
 * knows enough: by collection (access pattern 3: gsi2, `COLL#<collection>`), by source (gsi1,
 * `SRC#<source key>`), a collection's failures (pattern 7: the sparse gsi3), and events by key (BatchGetItem).
 * Legacy sources are keyed by their type alone and may share a gsi1 partition across collections: a filter
 * keeps one collection's events (DynamoDB applies `Limit` before the filter, so a page may come back short).
 * Sort keys are `E#<event time>#...`; '~' sorts after '#' and every character of a timestamp, so a range
 * ending at `E#<T>~` ends with T's last event.
 */
export class TableAuditHistory implements AuditHistory {
  constructor(private readonly table: ItemTable) {}

  async collectionHistory(query: {
    collection: string;
    until: string;
    limit: number;
    cursor?: unknown;
  }): Promise<HistoryPage> {
    return this.events(this.newestFirst('gsi2', `COLL#${query.collection}`, '', query));
  }

  async sourceHistory(query: {
    collection: string;
    sourceKey: string;
    until: string;
    limit: number;
    cursor?: unknown;
  }): Promise<HistoryPage> {
    return this.events(
      this.newestFirst('gsi1', `SRC#${query.sourceKey}`, '', query, {
        collection_readable_id: query.collection,
      }),
    );
  }

  async failures(query: {
    collection: string;
    from: string;
    until: string;
    limit: number;
    cursor?: unknown;
  }): Promise<FailurePage> {
    const page = await this.newestFirst('gsi3', `FAIL#${query.collection}`, query.from, query);
    return {
      entries: page.items.map((item): FailureEntry => ({
        source_key: String(item.source_key),
        sync_job_id: String(item.sync_job_id),
        timestamp: String(item.timestamp),
        received_at: String(item.received_at),
      })),
      ...(page.next !== undefined && { next: page.next }),
    };
  }

  /** One page of an index partition's events from `from` to `until` (inclusive), newest first. */
  private newestFirst(
    index: 'gsi1' | 'gsi2' | 'gsi3',
    partition: string,
    from: string,
    query: { until: string; limit: number; cursor?: unknown },
    filter?: Record<string, string>,
  ) {
    return this.table.page(
      {
        index,
        partition,
        sort: { between: [`E#${from}`, `E#${query.until}~`] },
        ...(filter && { filter }),
        descending: true,
        limit: query.limit,
      },
      query.cursor,
    );
  }

  private async events(pending: ReturnType<TableAuditHistory['newestFirst']>): Promise<HistoryPage> {
    const page = await pending;
    return {
      events: page.items.map(recordedEvent),
      ...(page.next !== undefined && { next: page.next }),
    };
  }

  async failureIndexSince(): Promise<string | undefined> {
    const item = await this.table.get(keys.failureIndexSince());
    return typeof item?.since === 'string' ? item.since : undefined;
  }

  async auditEvents(
    wanted: ReadonlyArray<{ readonly jobId: string; readonly eventType: LifecycleEventType }>,
  ): Promise<RecordedEvent[]> {
    const items = await this.table.getMany(
      wanted.map((w) => keys.event(w.jobId, w.eventType)),
      RECORDED_EVENT_ATTRIBUTES,
    );
    return items.map(recordedEvent);
  }

  async firstEvent(collection: string, sourceKey: string): Promise<RecordedEvent | undefined> {
    let cursor: unknown;
    do {
      const page = await this.table.page(
        {
          index: 'gsi1',
          partition: `SRC#${sourceKey}`,
          sort: { beginsWith: 'E#' },
          filter: { collection_readable_id: collection },
          limit: 10,
        },
        cursor,
      );
      const first = page.items[0];
      if (first) return recordedEvent(first);
      cursor = page.next;
    } while (cursor !== undefined);
    return undefined;
  }
}

/** Every attribute of an audit item that is part of the recorded event (the compiler checks the list is whole). */
const RECORDED_EVENT_FIELDS: Record<keyof RecordedEvent, true> = {
  event_type: true,
  state: true,
  timestamp: true,
  sync_job_id: true,
  sync_id: true,
  organization_id: true,
  collection_readable_id: true,
  collection_id: true,
  collection_name: true,
  source_connection_id: true,
  source_type: true,
  source_key: true,
  entities_inserted: true,
  entities_updated: true,
  entities_deleted: true,
  entities_skipped: true,
  chunks_written: true,
  error: true,
  payload_format: true,
  origin: true,
  svix_id: true,
  received_at: true,
};
const RECORDED_EVENT_ATTRIBUTES = Object.keys(RECORDED_EVENT_FIELDS);

/** The audit item holds the normalized event as is, plus its delivery's svix-id and receipt time. */
function recordedEvent(item: Record<string, unknown>): RecordedEvent {
  // Events recorded before reconciliation existed all came by webhook. (A loop: a collection read turns
  // a thousand items at a time, and this is on its path.)
  const event: Record<string, unknown> = { origin: 'webhook' };
  for (const name in item) if (!BOOKKEEPING_ATTRIBUTES.has(name)) event[name] = item[name];
  return event as unknown as RecordedEvent;
}
