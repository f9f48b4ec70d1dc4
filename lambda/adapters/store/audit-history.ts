import type { AuditHistory, HistoryPage, RecordedEvent } from '../../core/freshness-at';
import type { LifecycleEventType } from '../../core/job-state';
import { BOOKKEEPING_ATTRIBUTES, keys } from '../../core/table-schema';
import type { ItemTable } from './item-table';

/**
 * The audit trail by source (access pattern 3: gsi1, `SRC#<source key>`, sort key `E#<event time>#...`),
 * read one small page at a time so the as-of rebuild stops as soon as it knows enough. Legacy sources
 * are keyed by their type alone and may share a partition across collections: a filter keeps one
 * collection's events (DynamoDB applies `Limit` before the filter, so a page may come back short).
 */
export class TableAuditHistory implements AuditHistory {
  constructor(private readonly table: ItemTable) {}

  async sourceHistory(query: {
    collection: string;
    sourceKey: string;
    until: string;
    limit: number;
    cursor?: unknown;
  }): Promise<HistoryPage> {
    const page = await this.table.page(
      {
        index: 'gsi1',
        partition: `SRC#${query.sourceKey}`,
        // '~' sorts after '#' and every character of a timestamp: the range ends with T's last event.
        sort: { between: ['E#', `E#${query.until}~`] },
        filter: { collection_readable_id: query.collection },
        descending: true,
        limit: query.limit,
      },
      query.cursor,
    );
    return {
      events: page.items.map(recordedEvent),
      ...(page.next !== undefined && { next: page.next }),
    };
  }

  async auditEvent(jobId: string, eventType: LifecycleEventType): Promise<RecordedEvent | undefined> {
    const item = await this.table.get(keys.event(jobId, eventType));
    return item ? recordedEvent(item) : undefined;
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

/** The audit item holds the normalized event as is, plus its delivery's svix-id and receipt time. */
function recordedEvent(item: Record<string, unknown>): RecordedEvent {
  return {
    // Events recorded before reconciliation existed all came by webhook.
    origin: 'webhook',
    ...Object.fromEntries(Object.entries(item).filter(([name]) => !BOOKKEEPING_ATTRIBUTES.has(name))),
  } as unknown as RecordedEvent;
}
