/**
 * DynamoDB write units per kind of delivery, computed from the items as the local engine holds them
 * before and after each write and from the table's index keys, by DynamoDB's documented rules (the local
 * engine reports no index writes, and counts key sizes in characters):
 * - a write costs ceil(size / 1 KB) of the larger of the item before and after it, even when its
 *   condition fails;
 * - an index costs nothing when the item is in it neither before nor after; one put
 *   (its new size) when it enters; one delete when it leaves; a delete and a put when its index key
 *   moves; one put when it stays under the same key with changed attributes; nothing when unchanged.
 */
import {
  type AttributeValue,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  type GetItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { dynamoStores } from '../lambda/adapters/store';
import { StaticSigningKeys } from '../lambda/adapters/signing-keys';
import { createTableInput } from '../lambda/adapters/table-definition';
import { compose } from '../lambda/compose';
import type { Alert } from '../lambda/core/alerts';
import type { Log } from '../lambda/core/ports';
import { signedHeaders } from '../lambda/core/signature';
import { FAILURE_INDEX_ATTRIBUTES, GSI1, GSI2, GSI3, KEY } from '../lambda/core/table-schema';
import { makeWebhookHandler } from '../lambda/webhook/app';
import { currentPayload } from '../examples/payloads';
import { markdownTable } from './latency';
import { aroundTheWire } from '../harness/wire';

const SECRET = `whsec_${Buffer.from('benchmark-signing-secret-32-bytes!').toString('base64')}`;
const quiet: Log = { info: () => {}, warn: () => {}, error: () => {} };
type Raw = Record<string, AttributeValue>;

/** DynamoDB's item size: attribute names and values in UTF-8 bytes, numbers about one byte per two digits. */
export function itemSize(item: Raw): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value),
    0,
  );
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return Math.ceil(value.N.replace(/[-.]/g, '').replace(/^0+/, '').length / 2) + 1;
  if (value.B !== undefined) return value.B.length;
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + Buffer.byteLength(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + Math.ceil(s.length / 2) + 1, 0);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + valueSize(v), 0);
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + itemSize(value.M);
  return 0;
}

const units = (item: Raw | undefined) => (item ? Math.max(1, Math.ceil(itemSize(item) / 1024)) : 0);
const indexKey = (item: Raw | undefined, index: { pk: string; sk: string }) =>
  item?.[index.pk]?.S !== undefined && item[index.sk]?.S !== undefined
    ? `${item[index.pk]?.S}|${item[index.sk]?.S}`
    : undefined;

const GSI3_ATTRIBUTES: ReadonlySet<string> = new Set([
  KEY.pk,
  KEY.sk,
  GSI3.pk,
  GSI3.sk,
  ...FAILURE_INDEX_ATTRIBUTES,
]);
/** Each index with what it holds of an item: gsi1 and gsi2 all of it, gsi3 (failures) its keys and a few attributes. */
const INDEXES: ReadonlyArray<readonly [{ pk: string; sk: string }, (item: Raw) => Raw]> = [
  [GSI1, (item) => item],
  [GSI2, (item) => item],
  [GSI3, (item) => Object.fromEntries(Object.entries(item).filter(([name]) => GSI3_ATTRIBUTES.has(name)))],
];

/** Write units of one write, given the item before and after it. */
export function writeUnits(
  before: Raw | undefined,
  after: Raw | undefined,
): { table: number; indexes: number } {
  const table = Math.max(1, units(before), units(after));
  let indexes = 0;
  for (const [index, project] of INDEXES) {
    const was = indexKey(before, index);
    const is = indexKey(after, index);
    const [old, now] = [before && project(before), after && project(after)];
    if (was === undefined && is !== undefined) indexes += units(now);
    else if (was !== undefined && is === undefined) indexes += 1;
    else if (was !== undefined && was !== is) indexes += 1 + units(now);
    else if (was !== undefined && JSON.stringify(old) !== JSON.stringify(now)) indexes += units(now);
  }
  return { table, indexes };
}

export async function writeUnitsSection(endpoint: string): Promise<{ lines: string[]; plain: number }> {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials, maxAttempts: 1 });
  const reader = new DynamoDBClient({ endpoint, region: 'local', credentials, maxAttempts: 1 });
  const table = `bench-wcu-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateTableCommand(createTableInput(table)));
  const tally = { table: 0, indexes: 0, writes: 0 };
  const get = async (key: Raw): Promise<Raw | undefined> =>
    (
      (await reader.send(
        new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }),
      )) as GetItemCommandOutput
    ).Item;
  // Every write of the handler, with the item read just before and just after it (one delivery at a time,
  // and its writes touch different items, so nothing else moves the item in between).
  aroundTheWire(client, async ({ operation, body }, send) => {
    if (!['PutItem', 'UpdateItem', 'DeleteItem'].includes(operation)) return send();
    const input = JSON.parse(body) as { Item?: Raw; Key?: Raw };
    const source = input.Key ?? input.Item ?? {};
    const key: Raw = { pk: source.pk as AttributeValue, sk: source.sk as AttributeValue };
    const before = await get(key);
    try {
      return await send();
    } finally {
      const cost = writeUnits(before, await get(key));
      tally.table += cost.table;
      tally.indexes += cost.indexes;
      tally.writes++;
    }
  });
  const stores = dynamoStores(client, { tableName: table, retentionDays: 400 });
  const notifier = { publishEvent: async () => {}, publishAlert: async (_team: string, _alert: Alert) => {} };
  const deps = compose(
    {
      stores,
      settings: {
        retentionDays: 400,
        freshness: [],
        alerts: [{ team: 'platform', match: { sourceTypes: ['linear'] } }],
        pipelines: [],
        watchdog: { every: 5 * 60, stuckAfter: 6 * 3600 },
      },
      log: quiet,
    },
    { notifier, starter: { start: async () => {} }, keys: new StaticSigningKeys([SECRET]) },
  );
  const webhook = makeWebhookHandler(deps);
  const request = (body: unknown, id = `msg_${randomUUID()}`): APIGatewayProxyEventV2 => {
    const text = JSON.stringify(body);
    return {
      version: '2.0',
      routeKey: 'POST /webhooks/airweave',
      rawPath: '/webhooks/airweave',
      rawQueryString: '',
      headers: signedHeaders(SECRET, id, Math.floor(Date.now() / 1000), text),
      requestContext: {
        http: { method: 'POST', path: '/webhooks/airweave', sourceIp: '127.0.0.1' },
      } as never,
      body: text,
      isBase64Encoded: false,
    };
  };
  const rows: string[][] = [];
  const measure = async (label: string, event: APIGatewayProxyEventV2) => {
    tally.table = tally.indexes = tally.writes = 0;
    const response = await webhook(event);
    rows.push([
      label,
      String(response.statusCode),
      String(tally.writes),
      String(tally.table),
      String(tally.indexes),
      String(tally.table + tally.indexes),
    ]);
    return tally.table + tally.indexes;
  };
  const job = randomUUID();
  const at = (minute: number) => `2026-04-23T13:${String(minute).padStart(2, '0')}:00.000000Z`;
  const of = (fields: Record<string, unknown>) => ({ ...currentPayload(), sync_job_id: job, ...fields });
  await measure(
    'sync.pending (first event of a job)',
    request(of({ event_type: 'sync.pending', timestamp: at(1) })),
  );
  const plain = await measure(
    'sync.running (plain event)',
    request(of({ event_type: 'sync.running', timestamp: at(2) })),
  );
  await measure('sync.completed (plain event)', request(of({ timestamp: at(3) }), 'msg_done'));
  await measure('duplicate (Svix retry)', request(of({ timestamp: at(3) }), 'msg_done'));
  await measure(
    'sync.failed (alert claimed and settled)',
    request({
      ...currentPayload(),
      event_type: 'sync.failed',
      source_type: 'linear',
      source_connection_id: 'l',
      sync_job_id: randomUUID(),
      error: 'boom',
      timestamp: at(4),
    }),
  );
  client.destroy();
  reader.destroy();
  const lines = [
    '## DynamoDB write units per delivery',
    '',
    "Computed from the items before and after each write and the index keys, by DynamoDB's rules (`bench/write-units.ts`); gsi1 and gsi2 project ALL, gsi3 (failures only) their keys and four short attributes. On-demand price: $0.625 per million write units.",
    '',
    ...markdownTable(['delivery', 'status', 'writes', 'table units', 'index units', 'total'], rows),
    '',
    `- A plain event costs ${plain} write units (target at most 6): $${(plain * 0.625).toFixed(2)} per million plain events.`,
    '',
  ];
  return { lines, plain };
}

/** `npx tsx bench/write-units.ts`: this section alone. */
if (require.main === module) {
  void (async () => {
    const { startEngineProcess } = await import('../local/engine');
    const engine = await startEngineProcess({ host: '127.0.0.1', port: 0 });
    try {
      console.log((await writeUnitsSection(engine.endpoint)).lines.join('\n'));
    } finally {
      await engine.stop();
    }
  })();
}
