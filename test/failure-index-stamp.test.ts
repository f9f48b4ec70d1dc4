import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BundledFunction } from '../bench/lambda-bundle';
import { putResponse } from '../lambda/adapters/cloudformation-response';
import { DynamoStampStore } from '../lambda/adapters/failure-index-stamp';
import type { FreshnessRule } from '../lambda/core/config';
import { keys } from '../lambda/core/table-schema';
import { makeStampHandler } from '../lambda/failure-index-stamp/app';
import { FailureIndexStamp } from '../lib/failure-index-stamp';
import { SyncTable } from '../lib/sync-table';
import { localDynamoClient } from '../local/engine';
import {
  type CloudFormationResponseStandIn,
  cloudFormationResponseStandIn,
} from '../harness/cloudformation-response-stand-in';
import { currentPayload, httpEvent, signedRequest } from '../harness/deliveries';
import { silentLog } from '../harness/silent-log';
import { parseBody, wire } from '../harness/stack';
import { type Engine, startEngine } from './helpers/engine';
import { onTheWire } from '../harness/wire';

/**
 * The deploy-time stamp of the failure index, as CloudFormation drives it: the handler on the local
 * engine, answering a STAND-IN of CloudFormation's response URL (`harness/cloudformation-response-stand-in.ts`);
 * the reader relying on the stamp it wrote; and the bundled asset loaded as the Lambda runtime loads it.
 */
let engine: Engine;
let cfn: CloudFormationResponseStandIn;
beforeAll(async () => {
  engine = await startEngine();
  cfn = await cloudFormationResponseStandIn();
});
afterAll(async () => {
  await cfn.close();
  await engine.stop();
});

const DEPLOYED = new Date('2026-04-23T12:00:00.000Z');
const LOGICAL_ID = 'FailureIndexStamp6A10CCD7';

/** A custom resource request as CloudFormation sends it: every property value a string. */
function cfnRequest(
  type: 'Create' | 'Update' | 'Delete',
  tableName: string,
  more: { physicalId?: string; drainSeconds?: string; properties?: Record<string, unknown> } = {},
) {
  return {
    RequestType: type,
    ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:stamp',
    ResponseURL: cfn.responseUrl(),
    StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/AirweaveSyncEvents/5b3e7a10',
    RequestId: randomUUID(),
    ResourceType: 'Custom::FailureIndexStamp',
    LogicalResourceId: LOGICAL_ID,
    ...(more.physicalId !== undefined && { PhysicalResourceId: more.physicalId }),
    ResourceProperties: more.properties ?? {
      ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:stamp',
      TableName: tableName,
      DrainSeconds: more.drainSeconds ?? '300',
    },
  };
}

function stampHandler(client: DynamoDBClient = engine.client, now = () => DEPLOYED) {
  return makeStampHandler({ store: new DynamoStampStore(client), respond: putResponse, now, log: silentLog });
}

/** Runs one request and returns what CloudFormation received for it. */
async function run(request: ReturnType<typeof cfnRequest>, handler = stampHandler()) {
  await handler(request);
  const response = cfn.responses.get(request.ResponseURL);
  if (!response) throw new Error(`no accepted response; refusals: ${cfn.refusals.join('; ')}`);
  expect(response).toMatchObject({
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: LOGICAL_ID,
  });
  return response;
}

async function stampOf(table: string, client: DynamoDBClient = engine.client): Promise<unknown> {
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: table,
      Key: { pk: { S: keys.failureIndexSince().pk }, sk: { S: keys.failureIndexSince().sk } },
      ConsistentRead: true,
    }),
  );
  return Item?.since?.S;
}

describe('the stamp handler on the local engine, answering CloudFormation', () => {
  it('Create writes since = deploy + drain + 10 min; a second Create and an Update keep the first; Delete of a resource that kept it does nothing', async () => {
    const table = await engine.newTable();
    const first = await run(cfnRequest('Create', table));
    expect(first).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `failure-index-stamp/${table}/2026-04-23T12:15:00.000000Z`,
      Reason: 'the failure index holds every failure from 2026-04-23T12:15:00.000000Z',
    });
    expect(await stampOf(table)).toBe('2026-04-23T12:15:00.000000Z');
    expect(await engine.scan(table)).toEqual([
      { ...keys.failureIndexSince(), entity: 'meta', since: '2026-04-23T12:15:00.000000Z' },
    ]);

    const later = stampHandler(engine.client, () => new Date('2026-04-24T09:00:00.000Z'));
    const second = await run(cfnRequest('Create', table), later);
    expect(second).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `failure-index-stamp/${table}/kept`,
      Reason: 'kept the earlier failure index stamp of the table',
    });
    const update = await run(
      cfnRequest('Update', table, { physicalId: first.PhysicalResourceId, drainSeconds: '60' }),
      later,
    );
    expect(update).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: first.PhysicalResourceId });
    const deleted = await run(cfnRequest('Delete', table, { physicalId: second.PhysicalResourceId }), later);
    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: second.PhysicalResourceId });
    expect(await stampOf(table)).toBe('2026-04-23T12:15:00.000000Z');
    expect(cfn.refusals).toEqual([]);
  });

  it("Delete of the resource that wrote the stamp (a failed deploy's rollback, a downgrade) takes it back", async () => {
    const table = await engine.newTable();
    const created = await run(cfnRequest('Create', table));
    const deleted = await run(cfnRequest('Delete', table, { physicalId: created.PhysicalResourceId }));
    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.PhysicalResourceId });
    expect(await stampOf(table)).toBeUndefined();
    // A stamp written since by someone else (local mode's `''`) is not its to take back.
    const again = await run(cfnRequest('Create', table));
    const store = new DynamoStampStore(engine.client);
    expect(await store.takeBack(table, '2026-04-23T12:15:00.000000Z')).toBe(true);
    expect(await store.write(table, '')).toBe(true);
    expect((await run(cfnRequest('Delete', table, { physicalId: again.PhysicalResourceId }))).Reason).toBe(
      'the table no longer holds the stamp 2026-04-23T12:15:00.000000Z: nothing to take back',
    );
    expect(await stampOf(table)).toBe('');
  });

  it('a write DynamoDB refuses is answered FAILED with the reason, claiming the stamp for the rollback', async () => {
    const missing = `no-such-table-${randomUUID()}`;
    const failed = await run(cfnRequest('Create', missing));
    expect(failed).toMatchObject({
      Status: 'FAILED',
      PhysicalResourceId: `failure-index-stamp/${missing}/2026-04-23T12:15:00.000000Z`,
    });
    expect(failed.Reason).toMatch(/^failure index stamp \(Create\) failed: .*not found/i);
  });

  it('bad properties are answered FAILED with the field named, and nothing is written', async () => {
    const table = await engine.newTable();
    const failed = await run(
      cfnRequest('Create', table, { properties: { TableName: table, DrainSeconds: 'soon' } }),
    );
    expect(failed.Status).toBe('FAILED');
    expect(failed.Reason).toMatch(/^bad properties of the failure index stamp: .*DrainSeconds/s);
    const tooLong = await run(cfnRequest('Create', table, { drainSeconds: '3600' }));
    expect(tooLong.Status).toBe('FAILED');
    expect(tooLong.Reason).toContain('drainSeconds must be a whole number of seconds from 0 to 900');
    expect(await stampOf(table)).toBeUndefined();
    // The rollback's Delete of the refused Create, with the same properties: done, nothing taken back.
    const rolledBack = await run(
      cfnRequest('Delete', table, {
        physicalId: failed.PhysicalResourceId,
        properties: { TableName: table, DrainSeconds: 'soon' },
      }),
    );
    expect(rolledBack).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: failed.PhysicalResourceId });
  });

  it('a Delete whose table is gone is done: nothing to take back, so the stack can still delete', async () => {
    const missing = `deleted-by-hand-${randomUUID()}`;
    const deleted = await run(
      cfnRequest('Delete', missing, {
        physicalId: `failure-index-stamp/${missing}/2026-04-23T12:15:00.000000Z`,
      }),
    );
    expect(deleted).toMatchObject({
      Status: 'SUCCESS',
      Reason: 'the table no longer holds the stamp 2026-04-23T12:15:00.000000Z: nothing to take back',
    });
  });

  it('answers FAILED before its own timeout when DynamoDB does not answer', async () => {
    // A loopback server that accepts connections and never answers: the endpoint of a DynamoDB that hangs.
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const hung = localDynamoClient(`http://127.0.0.1:${(silent.address() as { port: number }).port}`, 1);
    try {
      const request = cfnRequest('Create', 'hung-table');
      const started = Date.now();
      // 6,300 ms left: the handler keeps 6 s to answer, so it gives the write 300 ms.
      await stampHandler(hung)(request, { getRemainingTimeInMillis: () => 6300 });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(cfn.responses.get(request.ResponseURL)).toMatchObject({
        Status: 'FAILED',
        Reason: "failure index stamp (Create) failed: did not finish within the function's time (300 ms)",
        PhysicalResourceId: 'failure-index-stamp/hung-table/2026-04-23T12:15:00.000000Z',
      });
    } finally {
      hung.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('an answer the response URL refuses fails the invocation (Lambda retries it), and the retry is safe', async () => {
    const table = await engine.newTable();
    const request = cfnRequest('Create', table);
    cfn.failNext(1);
    await expect(stampHandler()(request)).rejects.toThrow("CloudFormation's response URL answered 500");
    // Lambda's retry of the same invocation: its own stamp is found, so the answer claims it again.
    const retried = await run(request);
    expect(retried).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: `failure-index-stamp/${table}/2026-04-23T12:15:00.000000Z`,
    });
    expect(await stampOf(table)).toBe('2026-04-23T12:15:00.000000Z');
  });

  it('a request with nothing to answer to throws, naming what is missing', async () => {
    await expect(stampHandler()({ RequestType: 'Create' })).rejects.toThrow(
      /not a CloudFormation custom resource request: .*ResponseURL/s,
    );
  });
});

describe('freshness at T relies on the failure index from the stamp on', () => {
  const rules: FreshnessRule[] = [{ collection: '*', sourceType: 'github', maxAge: 6 * 3600 }];
  const at = (hhmm: string) => `2026-04-23T${hhmm}:00.000000Z`;

  /**
   * One GitHub source: a failure after the stamp's time, then 15 completed jobs (30 events, more than the
   * first page of the collection read), then, after T, another failure, so the live record cannot say
   * which failure was the latest at T.
   */
  function history(): Array<{ type: string; job: string; time: string }> {
    const events = [
      { type: 'sync.pending', job: 'g-fail-1', time: '12:20' },
      { type: 'sync.failed', job: 'g-fail-1', time: '12:25' },
    ];
    for (let i = 0; i < 15; i++) {
      const minute = 26 + 2 * i;
      events.push({ type: 'sync.pending', job: `g-ok-${i}`, time: `12:${minute}` });
      events.push({ type: 'sync.completed', job: `g-ok-${i}`, time: `12:${minute + 1}` });
    }
    events.push({ type: 'sync.pending', job: 'g-fail-2', time: '13:10' });
    events.push({ type: 'sync.failed', job: 'g-fail-2', time: '13:15' });
    return events;
  }

  /** A table fed that history through the webhook, with a client that counts the reads of each index. */
  async function fed(stamped: boolean) {
    const table = await engine.newTable();
    if (stamped) await run(cfnRequest('Create', table));
    const client = localDynamoClient(engine.endpoint);
    const queries: string[] = [];
    onTheWire(client, ({ operation, body }) => {
      if (operation === 'Query')
        queries.push((JSON.parse(body) as { IndexName?: string }).IndexName ?? 'table');
    });
    let clock = DEPLOYED;
    const stack = wire(client, table, { rules, now: () => clock });
    for (const e of history()) {
      const time = new Date(Date.parse(at(e.time)) + 1000);
      clock = time;
      const response = await stack.webhook(
        signedRequest(
          currentPayload({
            event_type: e.type,
            sync_job_id: e.job,
            source_type: 'github',
            source_connection_id: 'conn-github',
            timestamp: at(e.time),
            error: e.type === 'sync.failed' ? `error of ${e.job}` : null,
          }),
          { id: `msg_${e.job}_${e.type}`, timestamp: Math.floor(time.getTime() / 1000) },
        ),
      );
      expect(response.statusCode).toBe(200);
    }
    clock = new Date(Date.parse(at('13:30')));
    return {
      async freshnessAt(t: string) {
        queries.length = 0;
        const event = httpEvent('GET', '/freshness/engineering-context-ab123', {});
        const response = await stack.query({ ...event, queryStringParameters: { at: t } });
        expect(response.statusCode).toBe(200);
        return { body: parseBody(response), queries: [...queries] };
      },
      stop: () => client.destroy(),
    };
  }

  it('reads gsi3 for T at or after the stamp, with the same answer as the source-by-source read; never before it or without a stamp', async () => {
    const [stamped, unstamped] = [await fed(true), await fed(false)];
    try {
      const fast = await stamped.freshnessAt(at('13:00'));
      const slow = await unstamped.freshnessAt(at('13:00'));
      expect(fast.body).toEqual(slow.body);
      const source = (fast.body as { sources: Array<Record<string, unknown>> }).sources[0];
      expect(source).toMatchObject({ status: 'fresh', last_failure_at: at('12:25') });
      expect(fast.queries).toContain('gsi3');
      // The stamped read needs no per-source history (gsi1); the unstamped one does.
      expect(fast.queries).not.toContain('gsi1');
      expect(slow.queries).not.toContain('gsi3');
      expect(slow.queries).toContain('gsi1');
      // T before the stamp's time (12:15): the index may miss failures of then, so it is not read.
      const early = await stamped.freshnessAt(at('12:10'));
      expect(early.queries).not.toContain('gsi3');
    } finally {
      stamped.stop();
      unstamped.stop();
    }
  });
});

describe('the bundled stamp function, loaded as the Lambda runtime loads it', () => {
  let outdir: string;
  let fn: BundledFunction | undefined;
  afterAll(async () => {
    await fn?.stop();
    if (outdir) rmSync(outdir, { recursive: true, force: true });
  });

  it("stamps a table on the template's Create request and answers CloudFormation", async () => {
    outdir = mkdtempSync(path.join(tmpdir(), 'sync-events-stamp-'));
    const app = new App({ outdir });
    const stack = new Stack(app, 'StampAsset');
    const { table } = new SyncTable(stack, 'SyncTable');
    const ingesting = new lambda.Function(stack, 'Ingesting', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => undefined;'),
      timeout: Duration.seconds(45),
    });
    const stamp = new FailureIndexStamp(stack, 'FailureIndexStamp', { table, ingesting: [ingesting] });
    app.synth();
    const read = (file: string) => JSON.parse(readFileSync(path.join(outdir, file), 'utf8')) as unknown;
    const template = read(`${stack.artifactId}.template.json`) as {
      Resources: Record<string, { Properties: Record<string, unknown> }>;
    };
    const manifest = read(`${stack.artifactId}.assets.json`) as {
      files: Record<string, { source: { path: string } }>;
    };
    const functionId = stack.getLogicalId(stamp.function.node.defaultChild as lambda.CfnFunction);
    const props = template.Resources[functionId]!.Properties as {
      Handler: string;
      Code: { S3Key: string };
      Environment: { Variables: Record<string, string> };
      Timeout: number;
    };
    const asset = path.join(outdir, manifest.files[props.Code.S3Key.replace(/\.zip$/, '')]!.source.path);
    const tableName = await engine.newTable();
    fn = await BundledFunction.start(
      {
        ...props.Environment.Variables,
        _HANDLER: props.Handler,
        LAMBDA_TASK_ROOT: asset,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_LAMBDA_FUNCTION_NAME: 'stamp',
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'ASIASTANDIN',
        AWS_SECRET_ACCESS_KEY: 'stand-in',
        AWS_SESSION_TOKEN: 'stand-in',
        TZ: ':UTC',
        // The runtime provides the AWS SDK (left out of the bundle) on its NODE_PATH; here, the project's copy.
        NODE_PATH: path.join(__dirname, '..', 'node_modules'),
        AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
      },
      props.Timeout * 1000,
    );
    // The resource's properties as the template gives them, as CloudFormation hands them over: strings,
    // the table's Ref resolved to the table's name.
    const resource = template.Resources[stack.getLogicalId(stamp.resource.node.defaultChild as never)]!;
    expect(resource.Properties).toMatchObject({ DrainSeconds: 45 });
    const request = cfnRequest('Create', tableName, {
      properties: {
        ServiceToken: 'arn',
        TableName: tableName,
        DrainSeconds: String(resource.Properties.DrainSeconds),
      },
    });
    const before = Date.now();
    const reply = await fn.invoke(request);
    expect(reply.error).toBeUndefined();
    const response = cfn.responses.get(request.ResponseURL);
    expect(response?.Status).toBe('SUCCESS');
    const since = await stampOf(tableName);
    // The real clock: deploy time + 45 s of drain + 10 min of event-time lead.
    expect(Date.parse(String(since))).toBeGreaterThanOrEqual(before + 645_000 - 1000);
    expect(Date.parse(String(since))).toBeLessThanOrEqual(Date.now() + 645_000);
    expect(response?.PhysicalResourceId).toBe(`failure-index-stamp/${tableName}/${since}`);
  }, 120_000);
});
