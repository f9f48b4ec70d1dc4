import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  isLifecycleEventType,
  LIFECYCLE_EVENT_TYPES,
  type JobState,
  type LifecycleEventType,
} from '../core/job-state';
import type { NoticeKind, SourceIdentity, SourceRegistry } from '../core/reconcile';
import { GSI1, keys } from '../core/table-schema';

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;
/** Rounds of UnprocessedKeys (throttling) before a read gives up and the source is retried next run. */
const MAX_BATCH_ROUNDS = 5;

/**
 * The DynamoDB side of reconciliation and of the source lifecycle, on the same table and items as the
 * event store: a listed source is a freshness item without events; retirement, verification and the
 * operations notice are attributes and items written with single-item conditional writes.
 */
export class DynamoSourceRegistry implements SourceRegistry {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async registerSource(source: SourceIdentity, at: string): Promise<boolean> {
    // Created only when absent: a source with events keeps its record untouched, and an event recorded
    // later moves the new item forward like any other (its registers start empty).
    return this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...keys.freshness(source.collection_readable_id, source.source_key),
          ...keys.freshnessGsi1(source.collection_readable_id, source.source_key),
          entity: 'freshness',
          ...source,
          registered_at: at,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  retireSource(collection: string, sourceKey: string, at: string): Promise<boolean> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.freshness(collection, sourceKey),
        // The first retirement's time stays: a repeated delivery changes nothing.
        UpdateExpression: 'SET retired_at = if_not_exists(retired_at, :at)',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }

  async markVerified(collection: string, sourceKey: string, at: string): Promise<void> {
    await this.conditional(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.freshness(collection, sourceKey),
        UpdateExpression: 'SET verified_at = :at',
        // Only forward, and never on an item that does not exist (it would lack its identity and index keys).
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(verified_at) OR verified_at < :at)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
  }

  /** One BatchGetItem for a source's latest jobs (5 jobs x 6 states = 30 keys): the audit items that exist. */
  async recordedStates(jobIds: readonly string[]): Promise<Map<string, Set<LifecycleEventType>>> {
    const held = new Map<string, Set<LifecycleEventType>>();
    let pending = [...new Set(jobIds)].flatMap((job) =>
      LIFECYCLE_EVENT_TYPES.map((type) => keys.event(job, type)),
    );
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_BATCH_ROUNDS) throw new Error('recorded states: keys left unprocessed after retries');
      const batch = pending.slice(0, BATCH_GET_LIMIT);
      pending = pending.slice(BATCH_GET_LIMIT);
      const out = await this.doc.send(
        new BatchGetCommand({
          RequestItems: {
            [this.tableName]: {
              Keys: batch,
              ConsistentRead: true,
              ProjectionExpression: 'sync_job_id, event_type',
            },
          },
        }),
      );
      for (const item of out.Responses?.[this.tableName] ?? []) {
        const job = String(item.sync_job_id);
        const type = String(item.event_type);
        if (!isLifecycleEventType(type)) continue;
        held.set(job, (held.get(job) ?? new Set()).add(type));
      }
      const unprocessed = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      pending.push(...(unprocessed as typeof batch));
    }
    return held;
  }

  async previousJob(
    sourceKey: string,
    jobId: string,
  ): Promise<{ sync_job_id: string; state: JobState } | undefined> {
    // The source's latest events (job summaries are in no index: see the write units in table-schema.ts):
    // the first one of another job names the previous job, whose summary holds its state.
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: GSI1.name,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :events)',
        ExpressionAttributeNames: { '#pk': GSI1.pk, '#sk': GSI1.sk },
        ExpressionAttributeValues: {
          ':pk': keys.eventIndex('', sourceKey, '', '', '').gsi1pk,
          ':events': 'E#',
        },
        ProjectionExpression: 'sync_job_id',
        ScanIndexForward: false,
        // This job's own events (up to one per state) come first, then the previous job's.
        Limit: 8,
      }),
    );
    const previous = (out.Items ?? []).find((item) => item.sync_job_id !== jobId)?.sync_job_id;
    if (previous === undefined) return undefined;
    const job = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.job(String(previous)),
        ProjectionExpression: '#state',
        ExpressionAttributeNames: { '#state': 'state' },
      }),
    );
    const state = job.Item?.state;
    return typeof state === 'string'
      ? { sync_job_id: String(previous), state: state as JobState }
      : undefined;
  }

  openNotice(kind: NoticeKind, at: string): Promise<boolean> {
    return this.conditional(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.reconcileNotice(kind), entity: 'notice', kind, opened_at: at },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async closeNotice(kind: NoticeKind): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.reconcileNotice(kind) }));
  }

  /** A conditional write whose failed condition is an answer (false), not an error. */
  private async conditional(command: PutCommand | UpdateCommand): Promise<boolean> {
    try {
      await this.doc.send(command as PutCommand);
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }
}
