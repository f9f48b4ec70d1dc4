import { type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { SyncEvent } from '../core/events';
import type { FreshnessRecord } from '../core/freshness';
import { isTerminal, rankOf, terminalOrder, transitionKey, type JobState } from '../core/job-state';
import type {
  AlertLedger,
  Delivery,
  JobTimes,
  EpisodeKind,
  EventRecorder,
  FreshnessReader,
  PipelineGates,
  QuarantinedDelivery,
} from '../core/ports';
import type { Consumed, GateState } from '../core/pipeline-gate';
import { GSI1, GSI2, keys, TTL_ATTRIBUTE } from '../core/table-schema';
import { toMillis } from '../core/timestamp';
import { type Register, updateRegisters } from './conditional-update';

/** Cap on remembered unresolved failures per source, so a source failing for months never outgrows an item. */
const FAILURE_LOG_CAP = 100;
const NEW = 'attribute_not_exists';
/** A claim older than this was left by an attempt that died (the function times out long before). */
const CLAIM_TTL_MS = 60_000;

export interface DynamoStoreOptions {
  readonly tableName: string;
  /** Audit items expire this many days after they were received (DynamoDB TTL). */
  readonly retentionDays: number;
}

/** The DynamoDB adapter of the ports: the same code runs in Lambda and against the local engine. */
export class DynamoSyncStore implements EventRecorder, FreshnessReader, AlertLedger, PipelineGates {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly options: DynamoStoreOptions,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  get tableName(): string {
    return this.options.tableName;
  }

  private expiresAt(receivedAt: string): number {
    return Math.floor(toMillis(receivedAt) / 1000) + this.options.retentionDays * 86400;
  }

  /** Writes the item only if its key is new: the natural key makes this the deduplication. */
  private async putNew(item: Record<string, unknown>): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  putAuditEvent(event: SyncEvent, delivery: Delivery): Promise<boolean> {
    return this.putNew({
      ...keys.event(event.sync_job_id, event.event_type),
      ...keys.eventIndex(
        event.collection_readable_id,
        event.source_key,
        event.timestamp,
        event.sync_job_id,
        event.event_type,
      ),
      entity: 'event',
      ...event,
      svix_id: delivery.id,
      received_at: delivery.receivedAt,
      [TTL_ATTRIBUTE]: this.expiresAt(delivery.receivedAt),
    });
  }

  recordIgnored(delivery: Delivery, eventType: string): Promise<boolean> {
    return this.putNew({
      ...keys.ignored(delivery.id, delivery.receivedAt),
      entity: 'ignored',
      event_type: eventType,
      svix_id: delivery.id,
      received_at: delivery.receivedAt,
      [TTL_ATTRIBUTE]: this.expiresAt(delivery.receivedAt),
    });
  }

  quarantine(delivery: QuarantinedDelivery): Promise<boolean> {
    // No TTL: a quarantined delivery stays until it is replayed.
    return this.putNew({
      ...keys.quarantine(delivery.id, delivery.receivedAt),
      entity: 'quarantine',
      svix_id: delivery.id,
      received_at: delivery.receivedAt,
      reason: delivery.reason,
      body: delivery.body,
      headers: delivery.headers,
    });
  }

  /**
   * The job's record: one register per state time (the earliest seen), the current state (highest rank;
   * among terminal states the earliest, so the first terminal state is final), and the time of its latest
   * event, which orders jobs in the indexes. Every register is one that an in-order event moves, so the
   * usual delivery is a single update; a late or repeated event falls back to register-by-register.
   */
  async advanceJob(event: SyncEvent): Promise<JobTimes | undefined> {
    const state = event.state;
    const at = `${state}_at`;
    const values: Record<string, unknown> = {
      ':ts': event.timestamp,
      ':state': state,
      ':rank': rankOf(state),
      ':terminal': firstTerminalKey(event.timestamp, state),
      ':error': event.error,
      ...identityValues(event),
      ':expires': this.expiresAt(event.timestamp),
    };
    const indexKeys = keys.jobIndex(
      event.collection_readable_id,
      event.source_key,
      event.timestamp,
      event.sync_job_id,
    );
    Object.entries(indexKeys).forEach(([name, value]) => (values[`:${name}`] = value));
    const registers: Register[] = [
      {
        when: `${NEW}(#updated_at) OR #updated_at <= :ts`,
        set: [
          '#updated_at = :ts',
          ...Object.keys(indexKeys).map((k) => `#${k} = :${k}`),
          `#${TTL_ATTRIBUTE} = :expires`,
        ],
      },
      { when: `${NEW}(#${at}) OR #${at} > :ts`, set: [`#${at} = :ts`] },
      isTerminal(state)
        ? {
            when: `${NEW}(#state_rank) OR #state_rank < :rank OR #terminal_key > :terminal`,
            set: ['#state = :state', '#state_rank = :rank', '#terminal_key = :terminal', '#error = :error'],
          }
        : {
            when: `${NEW}(#state_rank) OR #state_rank < :rank`,
            set: ['#state = :state', '#state_rank = :rank'],
          },
    ];
    const item = await updateRegisters(this.doc, this.tableName, {
      key: keys.job(event.sync_job_id),
      always: ['#entity = :job_entity', '#sync_job_id = :sync_job_id', ...IDENTITY_SET],
      registers,
      names: namesOf([
        'updated_at',
        at,
        'state',
        'state_rank',
        'terminal_key',
        'error',
        'entity',
        TTL_ATTRIBUTE,
        ...IDENTITY,
        ...Object.keys(indexKeys),
      ]),
      values: { ...values, ':job_entity': 'job', ':sync_job_id': event.sync_job_id },
    });
    return item && { running_at: str(item.running_at), completed_at: str(item.completed_at) };
  }

  /**
   * The source's freshness, as independent registers so that each only moves forward in event time:
   * the latest transition (activity), the latest `running`, the latest terminal state, the last success,
   * the last failure, and the log of failures since the last success (consecutive failures).
   */
  async advanceFreshness(event: SyncEvent): Promise<void> {
    const key = transitionKey(event.timestamp, event.state);
    const values: Record<string, unknown> = {
      ':ts': event.timestamp,
      ':key': key,
      ':state': event.state,
      ':job': event.sync_job_id,
      ':error': event.error,
      ':origin': event.origin,
      ':collection_name': event.collection_name,
      ':entity': 'freshness',
      ':log': new Set([`${event.timestamp}|${event.sync_job_id}`]),
      ':cap': FAILURE_LOG_CAP,
      ...identityValues(event),
      ...prefixed(keys.freshnessGsi1(event.collection_readable_id, event.source_key)),
    };
    const newest = `${NEW}(#latest_key) OR #latest_key < :key`;
    const registers: Register[] = [
      {
        when: newest,
        set: [
          '#latest_key = :key',
          '#latest_job_id = :job',
          '#latest_state = :state',
          '#latest_at = :ts',
          '#collection_name = :collection_name',
        ],
      },
    ];
    if (event.state === 'running')
      registers.push({
        when: `${NEW}(#running_at) OR #running_at < :ts`,
        set: ['#running_at = :ts', '#running_job_id = :job'],
      });
    if (isTerminal(event.state))
      registers.push({
        when: `${NEW}(#terminal_key) OR #terminal_key < :key`,
        set: ['#terminal_key = :key', '#last_terminal_state = :state', '#last_terminal_at = :ts'],
      });
    if (event.state === 'completed') {
      registers.push({
        when: `${NEW}(#last_success_at) OR #last_success_at < :ts`,
        set: ['#last_success_at = :ts', '#last_success_job_id = :job', '#last_success_origin = :origin'],
      });
      // Safe only when this success is newer than everything applied so far, so every logged failure is older.
      registers.push({ when: newest, remove: ['#failure_log'] });
    }
    if (event.state === 'failed') {
      registers.push({
        when: `${NEW}(#last_failure_at) OR #last_failure_at < :ts`,
        set: ['#last_failure_at = :ts', '#last_failure_job_id = :job', '#last_error = :error'],
      });
      registers.push({
        when: `${NEW}(#failure_log) OR size(#failure_log) < :cap`,
        add: ['#failure_log :log'],
      });
    }
    await updateRegisters(this.doc, this.tableName, {
      key: keys.freshness(event.collection_readable_id, event.source_key),
      always: ['#entity = :entity', '#gsi1pk = :gsi1pk', '#gsi1sk = :gsi1sk', ...IDENTITY_SET],
      registers: mergeSameCondition(registers),
      names: namesOf([
        'latest_key',
        'latest_job_id',
        'latest_state',
        'latest_at',
        'collection_name',
        'running_at',
        'running_job_id',
        'terminal_key',
        'last_terminal_state',
        'last_terminal_at',
        'last_success_at',
        'last_success_job_id',
        'last_success_origin',
        'failure_log',
        'last_failure_at',
        'last_failure_job_id',
        'last_error',
        'entity',
        'gsi1pk',
        'gsi1sk',
        ...IDENTITY,
      ]),
      values,
    });
  }

  async claimFailureAlert(
    jobId: string,
    claimant: string,
    now: string,
  ): Promise<{ alreadyAlerted: string[] } | undefined> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.job(jobId),
          UpdateExpression: 'SET alert_claim = :claimant, alert_claim_at = :now',
          ConditionExpression:
            '#state = :failed AND attribute_not_exists(alert_sent_at) AND ' +
            '(attribute_not_exists(alert_claim) OR alert_claim = :claimant OR alert_claim_at < :expired)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':claimant': claimant,
            ':now': now,
            ':failed': 'failed',
            ':expired': new Date(Date.parse(now) - CLAIM_TTL_MS).toISOString(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const alerted = out.Attributes?.alerted_teams;
      return { alreadyAlerted: alerted instanceof Set ? [...(alerted as Set<string>)] : [] };
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }

  async settleFailureAlert(
    jobId: string,
    claimant: string,
    alerted: readonly string[],
    complete: boolean,
    now: string,
  ): Promise<void> {
    const set = complete ? ['alert_sent_at = :now'] : [];
    const expression = [
      set.length ? `SET ${set.join(', ')}` : '',
      alerted.length ? 'ADD alerted_teams :teams' : '',
      'REMOVE alert_claim, alert_claim_at',
    ]
      .filter(Boolean)
      .join(' ');
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.job(jobId),
          UpdateExpression: expression,
          ConditionExpression: 'alert_claim = :claimant',
          ExpressionAttributeValues: {
            ':claimant': claimant,
            ...(complete ? { ':now': now } : {}),
            ...(alerted.length ? { ':teams': new Set(alerted) } : {}),
          },
        }),
      );
    } catch (error) {
      // The claim expired and another delivery took over: it will settle the alert.
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  async sourceRecord(collection: string, source: string): Promise<FreshnessRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: keys.freshness(collection, source),
        ConsistentRead: true,
      }),
    );
    return out.Item ? toFreshnessRecord(out.Item) : undefined;
  }

  async openEpisode(
    collection: string,
    source: string,
    kind: EpisodeKind,
    episode: string,
  ): Promise<boolean> {
    return this.conditional({
      Key: keys.freshness(collection, source),
      UpdateExpression: 'SET #episode = :episode',
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(#episode) OR #episode <> :episode)',
      ExpressionAttributeNames: { '#episode': `${kind}_episode` },
      ExpressionAttributeValues: { ':episode': episode },
    });
  }

  async closeEpisode(
    collection: string,
    source: string,
    kind: EpisodeKind,
    episode: string,
  ): Promise<boolean> {
    return this.conditional({
      Key: keys.freshness(collection, source),
      UpdateExpression: 'REMOVE #episode',
      ConditionExpression: '#episode = :episode',
      ExpressionAttributeNames: { '#episode': `${kind}_episode` },
      ExpressionAttributeValues: { ':episode': episode },
    });
  }

  /** A conditional update whose failed condition is an answer (false), not an error. */
  private async conditional(
    input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>,
  ): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.tableName, ...input }));
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async collectionFreshness(collection: string): Promise<FreshnessRecord[]> {
    const { pk } = keys.freshness(collection, '');
    const items = await this.queryAll({
      // Strongly consistent: the pipeline gate decides on this read right after this delivery's own write,
      // and two sources completing together must each see the other's write (one of them will).
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :src)',
      ExpressionAttributeValues: { ':pk': pk, ':src': 'SRC#' },
    });
    return items.map(toFreshnessRecord);
  }

  async allFreshness(): Promise<FreshnessRecord[]> {
    const items = await this.queryAll({
      IndexName: GSI1.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': GSI1.pk },
      ExpressionAttributeValues: { ':pk': keys.freshnessGsi1('', '').gsi1pk },
    });
    return items.map(toFreshnessRecord);
  }

  /** One job's summary and its state events (access pattern 4). */
  async job(
    jobId: string,
  ): Promise<{ job: Record<string, unknown> | undefined; events: Record<string, unknown>[] }> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.job(jobId).pk },
    });
    return { job: items.find((i) => i.sk === 'JOB'), events: items.filter((i) => i.sk !== 'JOB') };
  }

  /** Audit events newest first, of one source (gsi1) or one collection (gsi2), within [since, until]. */
  async events(filter: {
    readonly source?: string;
    readonly collection?: string;
    readonly since?: string;
    readonly until?: string;
    readonly limit: number;
  }): Promise<Record<string, unknown>[]> {
    return this.indexedHistory('E#', filter);
  }

  /** Jobs newest first (by their latest event), of one source or one collection. */
  async jobs(filter: {
    readonly source?: string;
    readonly collection?: string;
    readonly since?: string;
    readonly until?: string;
    readonly limit: number;
  }): Promise<Record<string, unknown>[]> {
    return this.indexedHistory('J#', filter);
  }

  private async indexedHistory(
    prefix: 'E#' | 'J#',
    filter: { source?: string; collection?: string; since?: string; until?: string; limit: number },
  ): Promise<Record<string, unknown>[]> {
    const index = filter.source !== undefined ? GSI1 : GSI2;
    const partition =
      filter.source !== undefined ? `SRC#${filter.source}` : `COLL#${filter.collection ?? ''}`;
    // '~' sorts after every character a timestamp and id can contain, closing the range at `until`.
    const { items } = await this.queryPage({
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': index.pk, '#sk': index.sk },
      ExpressionAttributeValues: {
        ':pk': partition,
        ':from': `${prefix}${filter.since ?? ''}`,
        ':to': `${prefix}${filter.until ?? ''}~`,
      },
      ScanIndexForward: false,
      Limit: filter.limit,
    });
    return items;
  }

  /** Quarantined deliveries, oldest first (access pattern 6). */
  async quarantined(): Promise<Record<string, unknown>[]> {
    return this.queryAll({
      IndexName: GSI1.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': GSI1.pk },
      ExpressionAttributeValues: { ':pk': 'QUARANTINE' },
    });
  }

  async pipelineGate(name: string): Promise<GateState | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.pipelineGate(name), ConsistentRead: true }),
    );
    const item = out.Item;
    if (!item) return undefined;
    return {
      version: typeof item.version === 'number' ? item.version : 0,
      consumed: (item.consumed ?? {}) as Record<string, Consumed>,
      last_started_at: str(item.last_started_at),
      execution_name: str(item.execution_name),
      execution_input: str(item.execution_input),
      confirmed_execution: str(item.confirmed_execution),
      blocked_by: str(item.blocked_by),
    };
  }

  claimPipelineRun(
    spec: { name: string; collection: string },
    expectedVersion: number,
    claim: {
      executionName: string;
      input: string;
      consumed: Readonly<Record<string, Consumed>>;
      now: string;
    },
  ): Promise<boolean> {
    return this.conditional({
      Key: keys.pipelineGate(spec.name),
      UpdateExpression:
        'SET #version = :next, #consumed = :consumed, last_started_at = :now, execution_name = :name, ' +
        'execution_input = :input, pipeline = :pipeline, collection_readable_id = :collection, entity = :entity',
      ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(#version)' : '#version = :expected',
      // `consumed` is a reserved word in DynamoDB expressions.
      ExpressionAttributeNames: { '#version': 'version', '#consumed': 'consumed' },
      ExpressionAttributeValues: {
        ':next': expectedVersion + 1,
        ...(expectedVersion === 0 ? {} : { ':expected': expectedVersion }),
        ':consumed': claim.consumed,
        ':now': claim.now,
        ':name': claim.executionName,
        ':input': claim.input,
        ':pipeline': spec.name,
        ':collection': spec.collection,
        ':entity': 'pipeline',
      },
    });
  }

  async confirmPipelineRun(name: string, executionName: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.pipelineGate(name),
        UpdateExpression: 'SET confirmed_execution = :name',
        ExpressionAttributeValues: { ':name': executionName },
      }),
    );
  }

  blockPipeline(spec: { name: string; collection: string }, jobId: string, now: string): Promise<boolean> {
    return this.conditional({
      Key: keys.pipelineGate(spec.name),
      UpdateExpression:
        'SET blocked_by = :job, blocked_at = :now, pipeline = :pipeline, collection_readable_id = :collection, entity = :entity',
      // A new blocking job, or the same one whose alert was claimed by an attempt that died before it
      // was confirmed (the claim expired): a concurrent duplicate finds a fresh claim and stands back.
      ConditionExpression:
        'attribute_not_exists(blocked_by) OR blocked_by <> :job OR ' +
        '((attribute_not_exists(blocked_alerted) OR blocked_alerted <> :job) AND blocked_at < :expired)',
      ExpressionAttributeValues: {
        ':job': jobId,
        ':now': now,
        ':expired': new Date(Date.parse(now) - CLAIM_TTL_MS).toISOString(),
        ':pipeline': spec.name,
        ':collection': spec.collection,
        ':entity': 'pipeline',
      },
    });
  }

  async confirmPipelineBlocked(name: string, jobId: string): Promise<void> {
    await this.conditional({
      Key: keys.pipelineGate(name),
      UpdateExpression: 'SET blocked_alerted = :job',
      ConditionExpression: 'blocked_by = :job',
      ExpressionAttributeValues: { ':job': jobId },
    });
  }

  async unblockPipeline(name: string, jobId: string): Promise<void> {
    await this.conditional({
      Key: keys.pipelineGate(name),
      UpdateExpression: 'REMOVE blocked_by',
      ConditionExpression: 'blocked_by = :job',
      ExpressionAttributeValues: { ':job': jobId },
    });
  }

  /** One pipeline's gate and its runs, newest first (access pattern 5). */
  async pipeline(
    name: string,
  ): Promise<{ gate: Record<string, unknown> | undefined; runs: Record<string, unknown>[] }> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.pipelineGate(name).pk },
      ScanIndexForward: false,
    });
    return {
      gate: items.find((i) => i.sk === 'GATE'),
      runs: items.filter((i) => String(i.sk).startsWith('RUN#')),
    };
  }

  /** Removes a quarantined delivery once a replay has recorded it. */
  async resolveQuarantine(deliveryId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: keys.quarantine(deliveryId, '').pk, sk: 'QUARANTINE' },
      }),
    );
  }

  private async queryPage(
    input: Omit<QueryCommandInput, 'TableName'>,
  ): Promise<{ items: Record<string, unknown>[] }> {
    const page = await this.doc.send(new QueryCommand({ TableName: this.tableName, ...input }));
    return { items: page.Items ?? [] };
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({ TableName: this.tableName, ...input, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

/** Earliest terminal state wins; at the same time the tie-break of `terminalOrder` (failure first). */
function firstTerminalKey(timestamp: string, state: JobState): string {
  return `${timestamp}#${9 - terminalOrder(state)}`;
}

const IDENTITY = [
  'collection_readable_id',
  'collection_id',
  'source_connection_id',
  'source_type',
  'source_key',
  'sync_id',
  'organization_id',
  'sync_job_id',
];
const IDENTITY_SET = IDENTITY.filter((a) => a !== 'sync_job_id').map((a) => `#${a} = :${a}`);

function identityValues(event: SyncEvent): Record<string, unknown> {
  return {
    ':collection_readable_id': event.collection_readable_id,
    ':collection_id': event.collection_id,
    ':source_connection_id': event.source_connection_id,
    ':source_type': event.source_type,
    ':source_key': event.source_key,
    ':sync_id': event.sync_id,
    ':organization_id': event.organization_id,
  };
}

function namesOf(attributes: readonly string[]): Record<string, string> {
  return Object.fromEntries(attributes.map((a) => [`#${a}`, a]));
}

function prefixed(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [`:${k}`, v]));
}

/** Registers with the same condition are one register: one fewer call when they must be tried alone. */
function mergeSameCondition(registers: readonly Register[]): Register[] {
  const merged = new Map<string, { set: string[]; add: string[]; remove: string[] }>();
  for (const r of registers) {
    const m = merged.get(r.when) ?? { set: [], add: [], remove: [] };
    m.set.push(...(r.set ?? []));
    m.add.push(...(r.add ?? []));
    m.remove.push(...(r.remove ?? []));
    merged.set(r.when, m);
  }
  return [...merged.entries()].map(([when, m]) => ({ when, set: m.set, add: m.add, remove: m.remove }));
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function toFreshnessRecord(item: Record<string, unknown>): FreshnessRecord {
  const log = item.failure_log;
  return {
    collection_readable_id: String(item.collection_readable_id),
    collection_name: str(item.collection_name) ?? '',
    source_key: String(item.source_key),
    source_connection_id: str(item.source_connection_id),
    source_type: str(item.source_type) ?? '',
    latest_job_id: str(item.latest_job_id),
    latest_state: str(item.latest_state) as JobState | null,
    latest_at: str(item.latest_at),
    running_job_id: str(item.running_job_id),
    running_at: str(item.running_at),
    last_terminal_state: str(item.last_terminal_state) as JobState | null,
    last_success_at: str(item.last_success_at),
    last_success_job_id: str(item.last_success_job_id),
    last_failure_at: str(item.last_failure_at),
    last_failure_job_id: str(item.last_failure_job_id),
    last_error: str(item.last_error),
    failure_log: log instanceof Set ? [...(log as Set<string>)].sort() : [],
    stale_episode: str(item.stale_episode),
    stuck_episode: str(item.stuck_episode),
    last_success_origin: str(item.last_success_origin) as FreshnessRecord['last_success_origin'],
    registered_at: str(item.registered_at),
    verified_at: str(item.verified_at),
    retired_at: str(item.retired_at),
  };
}
