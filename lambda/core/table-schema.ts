/**
 * The single table's key schema: the one definition imported by the stack (`lib/sync-table.ts`), the
 * DynamoDB store, local mode, the CLI and the tests.
 *
 * Items (pk / sk), and which access pattern of docs/DESIGN.md section 4 each one serves:
 *
 * | item            | pk                    | sk                   | gsi1pk / gsi1sk                          | gsi2pk / gsi2sk               |
 * | --------------- | --------------------- | -------------------- | ---------------------------------------- | ----------------------------- |
 * | freshness       | COLL#<collection>     | SRC#<source key>     | FRESHNESS / <collection>#<source key>    |                               |
 * | job summary     | JOB#<sync_job_id>     | JOB                  |                                          |                               |
 * | audit event     | JOB#<sync_job_id>     | EVENT#<event_type>   | SRC#<source key> / E#<ts>#<job>#<type>   | COLL#<c> / E#<ts>#<job>#<type>|
 * | (a failure)     |                       |                      | and gsi3pk / gsi3sk: FAIL#<c> / E#<ts>#<job>#<type>                      |
 * | failure index   | META                  | FAILURE_INDEX        |                                          |                               |
 * | ignored         | DELIVERY#<svix id>    | IGNORED              | IGNORED / <received>#<svix id>           |                               |
 * | quarantined     | DELIVERY#<svix id>    | QUARANTINE           | QUARANTINE / <received>#<svix id>        |                               |
 * | pipeline gate   | PIPELINE#<name>       | GATE                 |                                          |                               |
 * | pipeline run    | PIPELINE#<name>       | RUN#<started>#<exec> |                                          |                               |
 * | reconcile notice| RECONCILE             | NOTICE#<kind>        |                                          |                               |
 *
 * 1. freshness of one collection:       Query pk = COLL#c
 * 2. freshness of every collection:     Query gsi1 gsi1pk = FRESHNESS
 * 3. events of one source, newest first: Query gsi1 gsi1pk = SRC#s, gsi1sk between E#from and E#to, descending
 *    (and per collection: gsi2 gsi2pk = COLL#c, begins_with E#)
 * 4. one job's states and timestamps:   Query pk = JOB#j (summary + one item per state)
 *    (jobs of one source or collection, newest first: the events of 3, then each job's summary by key)
 * 5. one pipeline's gate and runs:      Query pk = PIPELINE#p
 * 6. quarantined deliveries:            Query gsi1 gsi1pk = QUARANTINE
 * 7. failures of one collection, newest first: Query gsi3 gsi3pk = FAIL#c, gsi3sk between E#from and E#to
 *    (sparse: only `sync.failed` audit events carry its keys; it projects what picks the latest failure per
 *    source, and the event itself is then read by key). The `META / FAILURE_INDEX` item says from when the
 *    index holds every failure of the table (docs/DESIGN.md section 8): a table created with the index
 *    holds `since: ''` (always); a deployed table gets a time at deploy (`core/failure-index-stamp.ts`);
 *    a table without the item (not yet stamped) is not relied on, and freshness at T then reads each
 *    source's own history instead.
 *
 * The audit event's key is the natural key (job, event type), so a duplicate delivery, whether Svix
 * retried it with the same svix-id or Airweave published the transition again with a new one, fails the
 * conditional put instead of adding a second record. Timestamps in sort keys are ISO-8601 UTC with a
 * fixed width, so lexical order is time order. The FRESHNESS partition of gsi1 is one partition key for
 * every source: fine at sync-event rates (a few writes a minute), and it turns the watchdog's and the
 * dashboard's "every source" read into a single Query.
 *
 * Write units. Both indexes project ALL, so an item in an index costs one more write unit per index on
 * every write that changes it, and two when its index key moves (delete and put). A plain event writes
 * three items of under 1 KB: the audit event (1 + 2 index copies, written once), the job summary (1: it is
 * in no index), the freshness item (1 + its FRESHNESS copy): 6 write units. A failure's audit event also
 * enters gsi3, which projects only a few short attributes: one more unit, for failures only. The job summary used to be in
 * both indexes under the time of its latest event, so every event moved it twice (1 + 4); jobs are now
 * listed from their events instead (pattern 4). Items written before that keep their old job entries
 * until the job's next event removes them (`LEGACY_JOB_INDEX`) or TTL expires them; nothing reads them.
 */
export const KEY = { pk: 'pk', sk: 'sk' } as const;
export const GSI1 = { name: 'gsi1', pk: 'gsi1pk', sk: 'gsi1sk' } as const;
export const GSI2 = { name: 'gsi2', pk: 'gsi2pk', sk: 'gsi2sk' } as const;
/** The sparse index of failures by collection (access pattern 7), and the attributes it projects. */
export const GSI3 = { name: 'gsi3', pk: 'gsi3pk', sk: 'gsi3sk' } as const;
export const FAILURE_INDEX_ATTRIBUTES = ['source_key', 'sync_job_id', 'timestamp', 'received_at'] as const;
/** The event type whose audit items enter the failure index. */
export const FAILED_EVENT = 'sync.failed';
/**
 * The index attributes job summaries carried before they left the indexes: an event's update of such a
 * job removes them (a one-time index delete), so an in-flight job stops costing index writes.
 */
export const LEGACY_JOB_INDEX = [GSI1.pk, GSI1.sk, GSI2.pk, GSI2.sk] as const;
/** Epoch seconds after which DynamoDB's TTL deletes an audit item (events, ignored deliveries). */
export const TTL_ATTRIBUTE = 'expires_at';

/** Table bookkeeping on every item (keys, index keys, the item's kind, TTL): not part of what it records. */
export const BOOKKEEPING_ATTRIBUTES: ReadonlySet<string> = new Set([
  KEY.pk,
  KEY.sk,
  GSI1.pk,
  GSI1.sk,
  GSI2.pk,
  GSI2.sk,
  GSI3.pk,
  GSI3.sk,
  'entity',
  TTL_ATTRIBUTE,
]);

/** What a source is keyed by: its connection id, or, for legacy payloads without one, its type. */
export function sourceKey(sourceConnectionId: string | null, sourceType: string): string {
  return sourceConnectionId ?? `type:${sourceType}`;
}

export const keys = {
  freshness: (collection: string, source: string) => ({ pk: `COLL#${collection}`, sk: `SRC#${source}` }),
  freshnessGsi1: (collection: string, source: string) => ({
    gsi1pk: 'FRESHNESS',
    gsi1sk: `${collection}#${source}`,
  }),
  job: (jobId: string) => ({ pk: `JOB#${jobId}`, sk: 'JOB' }),
  event: (jobId: string, eventType: string) => ({ pk: `JOB#${jobId}`, sk: `EVENT#${eventType}` }),
  eventIndex: (collection: string, source: string, ts: string, jobId: string, eventType: string) => ({
    gsi1pk: `SRC#${source}`,
    gsi1sk: `E#${ts}#${jobId}#${eventType}`,
    gsi2pk: `COLL#${collection}`,
    gsi2sk: `E#${ts}#${jobId}#${eventType}`,
  }),
  /**
   * A failure's entry in the failure index. Its keys have the same shape as the gsi2 keys (a five-character
   * prefix, the same sort key), so the key limits the boundary derives from those hold for these too.
   */
  failureIndex: (collection: string, ts: string, jobId: string, eventType: string) => ({
    gsi3pk: `FAIL#${collection}`,
    gsi3sk: `E#${ts}#${jobId}#${eventType}`,
  }),
  /** Since when the failure index holds every failure of the table (see access pattern 7). */
  failureIndexSince: () => ({ pk: 'META', sk: 'FAILURE_INDEX' }),
  ignored: (deliveryId: string, received: string) => ({
    pk: `DELIVERY#${deliveryId}`,
    sk: 'IGNORED',
    gsi1pk: 'IGNORED',
    gsi1sk: `${received}#${deliveryId}`,
  }),
  quarantine: (deliveryId: string, received: string) => ({
    pk: `DELIVERY#${deliveryId}`,
    sk: 'QUARANTINE',
    gsi1pk: 'QUARANTINE',
    gsi1sk: `${received}#${deliveryId}`,
  }),
  pipelineGate: (name: string) => ({ pk: `PIPELINE#${name}`, sk: 'GATE' }),
  pipelineRun: (name: string, started: string, executionName: string) => ({
    pk: `PIPELINE#${name}`,
    sk: `RUN#${started}#${executionName}`,
  }),
  /** A once-per-episode operations notice of the reconciler (an unauthorized API key). */
  reconcileNotice: (kind: string) => ({ pk: 'RECONCILE', sk: `NOTICE#${kind}` }),
} as const;

/** The parts of a lifecycle event that become table keys. */
export interface LifecycleKeyParts {
  readonly collection: string;
  readonly source: string;
  readonly timestamp: string;
  readonly jobId: string;
  readonly eventType: string;
}

/**
 * Every key attribute (table and index) that recording one lifecycle event writes, by item: what the
 * boundary validation measures against DynamoDB's key limits. A test compares it with the items the store
 * actually writes, so a key added to the store without being listed here fails there.
 */
export function lifecycleKeys(
  p: LifecycleKeyParts,
): Record<'event' | 'job' | 'freshness', Record<string, string>> {
  return {
    event: {
      ...keys.event(p.jobId, p.eventType),
      ...keys.eventIndex(p.collection, p.source, p.timestamp, p.jobId, p.eventType),
      ...(p.eventType === FAILED_EVENT && keys.failureIndex(p.collection, p.timestamp, p.jobId, p.eventType)),
    },
    job: keys.job(p.jobId),
    freshness: {
      ...keys.freshness(p.collection, p.source),
      ...keys.freshnessGsi1(p.collection, p.source),
    },
  };
}

/** Which key attributes are partition keys (of the table or an index); every other one is a sort key. */
export const PARTITION_KEY_ATTRIBUTES: readonly string[] = [KEY.pk, GSI1.pk, GSI2.pk, GSI3.pk];

/** Lambda environment variable names, shared by the stack that sets them and the handlers that read them. */
export const ENV = {
  tableName: 'TABLE_NAME',
  secretArn: 'WEBHOOK_SECRET_ARN',
  /** JSON of the app config's `freshness` rules and retention, validated again at cold start. */
  settings: 'SYNC_EVENTS_SETTINGS',
  eventsTopicArn: 'EVENTS_TOPIC_ARN',
  /** JSON object: alert team name (and `default`) to its topic's ARN. */
  alertTopicArns: 'ALERT_TOPIC_ARNS',
  /** JSON object: pipeline name to its state machine's ARN. */
  pipelineStateMachineArns: 'PIPELINE_STATE_MACHINE_ARNS',
  /** The secret holding Airweave's API key (a placeholder until set: reconciliation off). */
  airweaveKeySecretArn: 'AIRWEAVE_API_KEY_SECRET_ARN',
  /** The operations topic, for the reconciler's "not authorized" notice. */
  operationsTopicArn: 'OPERATIONS_TOPIC_ARN',
  /** The reconcile function, invoked asynchronously by the webhook on suspicion. */
  reconcileFunctionName: 'RECONCILE_FUNCTION_NAME',
} as const;
