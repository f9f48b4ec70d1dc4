import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { reconcile } from '../cli/commands/reconcile';
import { main } from '../cli/main';
import { awsClientConfig, type Target } from '../cli/target';
import { DynamoSourceRegistry } from '../lambda/adapters/dynamo-source-registry';
import { dynamoStores } from '../lambda/adapters/store';
import { parseConfig } from '../lambda/core/config';
import { CliError } from '../cli/errors';
import { collect } from '../cli/output';
import { createTableInput } from '../lambda/adapters/table-definition';
import { LOCAL } from '../local/defaults';
import { AirweaveStandIn } from '../harness/airweave-stand-in';
import { type Engine, startEngine } from './helpers/engine';

let engine: Engine;
let api: AirweaveStandIn;
const env = { ...process.env };
beforeAll(async () => {
  // Its own data folder: the local notifier writes notifications.jsonl there, whether or not npm start ever ran.
  process.env.SYNC_EVENTS_DATA = mkdtempSync(path.join(tmpdir(), 'sync-events-reconcile-'));
  engine = await startEngine();
  await engine.client.send(new CreateTableCommand(createTableInput(LOCAL.tableName)));
  api = new AirweaveStandIn();
  process.env.AIRWEAVE_API_URL = await api.start();
  api.collections.push({ id: 'c1', readable_id: 'eng-ab123', name: 'Engineering' });
  api.sources.push({ id: 'sc-gh', short_name: 'github', readable_collection_id: 'eng-ab123' });
  api.jobs.push({
    id: 'job-1',
    source_connection_id: 'sc-gh',
    status: 'FAILED',
    created_at: '2026-04-23T13:40:00Z',
    started_at: '2026-04-23T13:41:00Z',
    completed_at: null,
    failed_at: '2026-04-23T13:45:00Z',
    error: 'token expired',
  });
});
afterAll(async () => {
  rmSync(process.env.SYNC_EVENTS_DATA!, { recursive: true, force: true });
  process.env = env;
  await api.stop();
  await engine.stop();
});

const run = async (args: string[]) => {
  const out = collect();
  const code = await main(['reconcile', '--local', '--endpoint', engine.endpoint, ...args], out);
  return { code, out };
};

describe('sync-events reconcile', () => {
  it('says it is not configured without a key', async () => {
    delete process.env.AIRWEAVE_API_KEY;
    const error = await run([]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(/not configured: set AIRWEAVE_API_KEY/);
  });

  it('--dry-run --json: jobs checked and states that would be recovered, nothing written', async () => {
    process.env.AIRWEAVE_API_KEY = api.apiKey;
    const { code, out } = await run(['--dry-run', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(out.lines.join('\n')) as Record<string, unknown>;
    expect(report).toMatchObject({
      outcome: 'ok',
      dry_run: true,
      jobs_checked: 1,
      states_recovered: 3,
      sources: [
        {
          source_connection_id: 'sc-gh',
          recovered: [{ event_type: 'sync.pending' }, {}, { event_type: 'sync.failed' }],
        },
      ],
    });
    expect(await engine.scan(LOCAL.tableName)).toEqual([]);
  });

  it('records what was missing, per source, then finds nothing left; --collection narrows', async () => {
    process.env.AIRWEAVE_API_KEY = api.apiKey;
    const { code, out } = await run(['--collection', 'eng-ab123']);
    expect(code).toBe(0);
    const text = out.lines.join('\n');
    expect(text).toMatch(/eng-ab123\s+sc-gh\s+github\s+1\s+pending job-1, running job-1, failed job-1/);
    expect(text).toMatch(/ok: 1 collections, 1 sources, 1 jobs checked, 3 states recovered/);
    const items = await engine.scan(LOCAL.tableName);
    expect(items.filter((i) => i.entity === 'event').every((i) => i.origin === 'reconciled')).toBe(true);
    const again = await run(['--json']);
    expect(JSON.parse(again.out.lines.join('\n'))).toMatchObject({ states_recovered: 0 });
  });

  it('a refused key exits 1 with the outcome', async () => {
    process.env.AIRWEAVE_API_KEY = 'wrong';
    const { code, out } = await run(['--dry-run']);
    expect(code).toBe(1);
    expect(out.lines.join('\n')).toMatch(/unauthorized/);
  });
});

describe('reconcile --stack', () => {
  /**
   * Stand-ins for Secrets Manager and SNS on loopback (the services cannot run here): each request's SigV4
   * credential scope names the region the client signed for, which is what `--region` must decide.
   */
  let aws: Server;
  const scopes: string[] = [];
  beforeAll(async () => {
    aws = createServer((request, response) => {
      const scope = /Credential=[^/]+\/\d+\/([^/]+\/[^/]+)\//.exec(request.headers.authorization ?? '');
      scopes.push(scope?.[1] ?? 'unsigned');
      request.resume();
      request.on('end', () => {
        if (request.headers['x-amz-target'] === 'secretsmanager.GetSecretValue') {
          response.setHeader('content-type', 'application/x-amz-json-1.1');
          response.end(JSON.stringify({ Name: 'key', SecretString: 'revoked-key' }));
          return;
        }
        response.setHeader('content-type', 'text/xml');
        response.end(
          '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>',
        );
      });
    });
    await new Promise<void>((resolve) => aws.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(aws.address() as AddressInfo).port}`;
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: url,
      AWS_ENDPOINT_URL_SNS: url,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'us-east-1',
    });
  });
  afterAll(async () => {
    aws.closeAllConnections();
    await new Promise<void>((resolve) => aws.close(() => resolve()));
  });

  it("reads the key from the stack's secret and tells operations in the --region given, not the default", async () => {
    delete process.env.AIRWEAVE_API_KEY;
    const table = await engine.newTable();
    const stores = dynamoStores(engine.client, { tableName: table, retentionDays: 30 });
    const region = 'eu-west-3';
    const target: Target = {
      kind: 'stack',
      name: 'stack Test',
      store: stores.reads,
      stores,
      webhookUrl: '',
      outputs: {
        TableName: table,
        AirweaveApiKeySecretArn: `arn:aws:secretsmanager:${region}:000000000000:secret:key`,
        OperationsTopicArn: `arn:aws:sns:${region}:000000000000:operations`,
        EventsTopicArn: `arn:aws:sns:${region}:000000000000:events`,
        AlertTopicArns: JSON.stringify({ default: `arn:aws:sns:${region}:000000000000:default` }),
        PipelineStateMachineArns: '{}',
      },
      dataDir: '',
      config: parseConfig({}),
      client: engine.client,
      registry: new DynamoSourceRegistry(engine.client, table),
      aws: awsClientConfig({ region }),
      close: () => {},
    };
    const out = collect();
    // The stand-in refuses the secret's key: the run is unauthorized and operations are told over SNS.
    expect(await reconcile(target, { json: true }, out)).toBe(1);
    expect(JSON.parse(out.lines.join('\n'))).toMatchObject({ outcome: 'unauthorized' });
    expect(scopes).toEqual([`${region}/secretsmanager`, `${region}/sns`]);
  });
});
