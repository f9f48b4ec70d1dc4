import { type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditHistory, HistoryPage, RecordedEvent } from '../core/freshness-at';
import type { LifecycleEventType } from '../core/job-state';
import { GSI1, keys } from '../core/table-schema';

/**
 * The audit trail by source (access pattern 3: gsi1, `SRC#<source key>`, sort key `E#<event time>#...`),
 * read one small page at a time so the as-of rebuild stops as soon as it knows enough. Legacy sources
 * are keyed by their type alone and may share a partition across collections: a filter keeps one
 * collection's events (DynamoDB applies `Limit` before the filter, so a page may come back short).
 */
export class DynamoAuditHistory implements AuditHistory {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async sourceHistory(query: {
    collection: string;
    sourceKey: string;
    until: string;
    limit: number;
    cursor?: unknown;
  }): Promise<HistoryPage> {
    const page = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI1.name,
        // '~' sorts after '#' and every character of a timestamp: the range ends with T's last event.
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        FilterExpression: '#collection = :collection',
        ExpressionAttributeNames: { '#pk': GSI1.pk, '#sk': GSI1.sk, '#collection': 'collection_readable_id' },
        ExpressionAttributeValues: {
          ':pk': `SRC#${query.sourceKey}`,
          ':from': 'E#',
          ':to': `E#${query.until}~`,
          ':collection': query.collection,
        },
        ScanIndexForward: false,
        Limit: query.limit,
        ExclusiveStartKey: query.cursor as Record<string, unknown> | undefined,
      }),
    );
    return {
      events: (page.Items ?? []).map(recordedEvent),
      ...(page.LastEvaluatedKey !== undefined && { next: page.LastEvaluatedKey }),
    };
  }

  async auditEvent(jobId: string, eventType: LifecycleEventType): Promise<RecordedEvent | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.event(jobId, eventType) }),
    );
    return out.Item ? recordedEvent(out.Item) : undefined;
  }

  async firstEvent(collection: string, sourceKey: string): Promise<RecordedEvent | undefined> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: GSI1.name,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :events)',
          FilterExpression: '#collection = :collection',
          ExpressionAttributeNames: {
            '#pk': GSI1.pk,
            '#sk': GSI1.sk,
            '#collection': 'collection_readable_id',
          },
          ExpressionAttributeValues: {
            ':pk': `SRC#${sourceKey}`,
            ':events': 'E#',
            ':collection': collection,
          },
          Limit: 10,
          ExclusiveStartKey: start,
        }),
      );
      const first = page.Items?.[0];
      if (first) return recordedEvent(first);
      start = page.LastEvaluatedKey;
    } while (start);
    return undefined;
  }
}

/** Table bookkeeping, not part of the event. */
const TABLE_ATTRIBUTES = new Set([
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'entity',
  'expires_at',
]);

/** The audit item holds the normalized event as is, plus its delivery's svix-id and receipt time. */
function recordedEvent(item: Record<string, unknown>): RecordedEvent {
  return {
    // Events recorded before reconciliation existed all came by webhook.
    origin: 'webhook',
    ...Object.fromEntries(Object.entries(item).filter(([name]) => !TABLE_ATTRIBUTES.has(name))),
  } as unknown as RecordedEvent;
}
