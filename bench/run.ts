/**
 * `npm run bench`: the figures of DESIGN.md section 7, measured side by side in one run, printed and
 * written to BENCHMARKS.md. Nothing here asserts: a shared, noisy machine reports medians and ratios.
 */
import { CreateTableCommand, DynamoDBClient, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoSyncStore } from '../lambda/adapters/dynamo-store';
import { SfnStarter } from '../lambda/adapters/sfn-starter';
import { StaticSigningKeys } from '../lambda/adapters/signing-keys';
import { SnsNotifier } from '../lambda/adapters/sns-notifier';
import { createTableInput } from '../lambda/adapters/table-definition';
import { readConfigFile } from '../bin/config-file';
import { runtimeSettings } from '../lambda/core/config';
import { noMetrics } from '../lambda/core/metrics';
import type { Log } from '../lambda/core/ports';
import { decodeSecrets, signedHeaders, verifyDelivery } from '../lambda/core/signature';
import { ENV } from '../lambda/core/table-schema';
import { makeWebhookHandler } from '../lambda/webhook/app';
import { SyncEventsStack } from '../lib/sync-events-stack';
import { LOCAL } from '../local/defaults';
import { localDynamoClient, startEngineProcess } from '../local/engine';
import { boardRender } from './board';
import { cliStartup } from './cli';
import { startFakeAws } from './fake-aws';
import { currentPayload } from '../test/helpers/deliveries';

const ROOT = path.join(__dirname, '..');
const SECRET = `whsec_${Buffer.from('benchmark-signing-secret-32-bytes!').toString('base64')}`;
const quiet: Log = { info: () => {}, warn: () => {}, error: () => {} };
const report: string[] = [];
const say = (line = '') => {
  console.log(line);
  report.push(line);
};

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
const median = (values: readonly number[]) => quantile(values, 0.5);
const ms = (value: number) => `${value.toFixed(2)} ms`;

/** The test fixtures' payload (Airweave's current format), for a new job at the current time. */
function payload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...currentPayload(),
    timestamp: `${new Date().toISOString().slice(0, 23)}000Z`,
    sync_job_id: randomUUID(),
    ...overrides,
  };
}

function request(body: unknown, id = `msg_${randomUUID()}`): APIGatewayProxyEventV2 {
  const text = JSON.stringify(body);
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/airweave',
    rawPath: '/webhooks/airweave',
    rawQueryString: '',
    headers: signedHeaders(SECRET, id, Math.floor(Date.now() / 1000), text),
    requestContext: { http: { method: 'POST', path: '/webhooks/airweave', sourceIp: '127.0.0.1' } } as never,
    body: text,
    isBase64Encoded: false,
  };
}

// ---------------------------------------------------------------- bundles and module init

function bundlesAndInit(): { rows: string[][]; webhookKb: number; webhookInitMs: number; sdkInitMs: number } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'sync-events-bench-cdk-'));
  const config = readConfigFile(path.join(ROOT, 'config', 'default.json'));
  const app = new App({ outdir });
  const stack = new SyncEventsStack(app, 'Bench', { config });
  app.synth();
  const functions = {
    webhook: stack.ingress.webhookFunction,
    query: stack.ingress.queryFunction,
    watchdog: stack.watchdog.function,
  };
  const env = {
    ...process.env,
    [ENV.tableName]: 'bench',
    [ENV.secretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
    [ENV.settings]: JSON.stringify(runtimeSettings(config)),
    [ENV.eventsTopicArn]: 'arn:aws:sns:us-east-1:000000000000:events',
    [ENV.alertTopicArns]: JSON.stringify({ default: 'arn:aws:sns:us-east-1:000000000000:default' }),
    [ENV.pipelineStateMachineArns]: '{}',
    AWS_REGION: 'us-east-1',
    NODE_PATH: path.join(ROOT, 'node_modules'),
  };
  const rows: string[][] = [];
  let webhookKb = 0;
  let webhookInitMs = 0;
  for (const [name, fn] of Object.entries(functions)) {
    const code = (fn.node.defaultChild as CfnResource & { code: { s3Key: string } }).code;
    const hash = Stack.of(fn).resolve(code.s3Key).toString().replace('.zip', '');
    const file = path.join(outdir, `asset.${hash}`, 'index.js');
    const kb = statSync(file).size / 1024;
    // Fresh processes: each measures `require` of the bundle, which is the function's module init
    // (the AWS SDK it loads is the one from node_modules, as the Lambda runtime provides its own).
    const samples = Array.from({ length: 15 }, () => {
      const out = execFileSync(
        process.execPath,
        [
          '-e',
          `const t=performance.now();require(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t))`,
        ],
        { env, encoding: 'utf8' },
      );
      return Number(out);
    });
    if (name === 'webhook') {
      webhookKb = kb;
      webhookInitMs = median(samples);
    }
    rows.push([name, `${kb.toFixed(1)} KB`, ms(median(samples)), ms(quantile(samples, 0.9))]);
  }
  // The share of the AWS SDK alone: the clients the webhook loads, required in fresh processes the same way.
  const sdk = ['client-dynamodb', 'lib-dynamodb', 'client-sns', 'client-sfn', 'client-secrets-manager'].map(
    (m) => `@aws-sdk/${m}`,
  );
  const sdkSamples = Array.from({ length: 15 }, () =>
    Number(
      execFileSync(
        process.execPath,
        [
          '-e',
          `const t=performance.now();${sdk.map((m) => `require(${JSON.stringify(m)})`).join(';')};process.stdout.write(String(performance.now()-t))`,
        ],
        { env, encoding: 'utf8' },
      ),
    ),
  );
  rows.push(['(the AWS SDK clients alone)', '-', ms(median(sdkSamples)), ms(quantile(sdkSamples, 0.9))]);
  rmSync(outdir, { recursive: true, force: true });
  return { rows, webhookKb, webhookInitMs, sdkInitMs: median(sdkSamples) };
}

// ---------------------------------------------------------------- AWS calls per event, and latency

type Middleware = (
  next: (args: unknown) => Promise<unknown>,
  context: { commandName?: string },
) => (args: unknown) => Promise<unknown>;

/** Counts every command the client sends, by service and command name, before any retry or signing. */
function counted<T>(client: T, counts: Map<string, number>, service: string, delayMs = 0): T {
  const stack = (
    client as unknown as { middlewareStack: { add(m: Middleware, o: { step: string; name: string }): void } }
  ).middlewareStack;
  stack.add(
    (next, context) => async (args) => {
      const key = `${service}:${context.commandName ?? '?'}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      // A simulated network round trip, as to an AWS endpoint in the same region.
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return client;
}

async function wiring(endpoint: string, awsEndpoint: string, counts: Map<string, number>, delayMs = 0) {
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamo = counted(
    new DynamoDBClient({ endpoint, region: 'local', credentials, maxAttempts: 1 }),
    counts,
    'dynamodb',
    delayMs,
  );
  const table = `bench-${randomUUID().slice(0, 8)}`;
  await dynamo.send(new CreateTableCommand(createTableInput(table)));
  const store = new DynamoSyncStore(dynamo, { tableName: table, retentionDays: 400 });
  const sns = counted(
    new SNSClient({ endpoint: awsEndpoint, region: 'us-east-1', credentials }),
    counts,
    'sns',
    delayMs,
  );
  const sfn = counted(
    new SFNClient({ endpoint: awsEndpoint, region: 'us-east-1', credentials }),
    counts,
    'states',
    delayMs,
  );
  const webhook = makeWebhookHandler({
    recorder: store,
    ledger: store,
    gates: store,
    freshness: store,
    notifier: new SnsNotifier(sns, 'arn:aws:sns:us-east-1:000000000000:events', {
      default: 'arn:aws:sns:us-east-1:000000000000:default',
      platform: 'arn:aws:sns:us-east-1:000000000000:platform',
    }),
    starter: new SfnStarter(sfn, { analysis: 'arn:aws:states:us-east-1:000000000000:stateMachine:analysis' }),
    keys: new StaticSigningKeys([SECRET]),
    routes: [{ team: 'platform', match: { sourceTypes: ['linear'] } }],
    rules: [],
    pipelines: [
      { name: 'analysis', collection: 'pipelines-c', requires: ['github', 'linear'], window: '30m' },
    ],
    now: () => new Date(),
    log: quiet,
    metrics: noMetrics,
  });
  return { webhook, dynamo, table };
}

async function callsPerEvent(endpoint: string, awsEndpoint: string): Promise<string[][]> {
  const counts = new Map<string, number>();
  const { webhook } = await wiring(endpoint, awsEndpoint, counts);
  const rows: string[][] = [];
  const measure = async (kind: string, body: unknown, id?: string) => {
    counts.clear();
    const response = await webhook(request(body, id));
    const byService = (service: string) =>
      [...counts].filter(([k]) => k.startsWith(service)).reduce((n, [, v]) => n + v, 0);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    rows.push([
      kind,
      String(response.statusCode),
      String(byService('dynamodb')),
      String(byService('sns')),
      String(byService('states')),
      String(total),
    ]);
  };
  const job = randomUUID();
  const t = (minute: number) => `2026-04-23T13:${String(minute).padStart(2, '0')}:00.000000Z`;
  await measure(
    'sync.pending (first event of a job)',
    payload({ event_type: 'sync.pending', sync_job_id: job, timestamp: t(1) }),
  );
  await measure(
    'sync.running (in order)',
    payload({ event_type: 'sync.running', sync_job_id: job, timestamp: t(2) }),
  );
  await measure('sync.completed (in order)', payload({ sync_job_id: job, timestamp: t(3) }), 'msg_done');
  await measure('duplicate (same svix-id)', payload({ sync_job_id: job, timestamp: t(3) }), 'msg_done');
  await measure(
    'late sync.running (after completed)',
    payload({ event_type: 'sync.running', sync_job_id: job, timestamp: t(2) }),
  );
  await measure(
    'sync.failed (alert to one team)',
    payload({
      event_type: 'sync.failed',
      source_type: 'linear',
      source_connection_id: 'l',
      sync_job_id: randomUUID(),
      error: 'boom',
      timestamp: t(4),
    }),
  );
  await measure(
    'sync.completed, pipeline waiting',
    payload({ collection_readable_id: 'pipelines-c', sync_job_id: randomUUID(), timestamp: t(5) }),
  );
  await measure(
    'sync.completed, pipeline starts',
    payload({
      collection_readable_id: 'pipelines-c',
      source_type: 'linear',
      source_connection_id: 'l2',
      sync_job_id: randomUUID(),
      timestamp: t(6),
    }),
  );
  await measure('ignored (search.completed)', { event_type: 'search.completed' });
  await measure('quarantined (not JSON)', '{"event_type":');
  return rows;
}

async function latency(endpoint: string, awsEndpoint: string, iterations: number, delayMs = 0) {
  const counts = new Map<string, number>();
  const { webhook, dynamo, table } = await wiring(endpoint, awsEndpoint, counts, delayMs);
  const keys = decodeSecrets([SECRET]);
  // The naive baseline: verify the signature, one conditional put of the raw payload.
  const naive = async (event: APIGatewayProxyEventV2) => {
    const body = Buffer.from(event.body ?? '');
    const { id } = verifyDelivery(
      event.headers as Record<string, string>,
      body,
      keys,
      Math.floor(Date.now() / 1000),
    );
    await dynamo.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: `NAIVE#${id}` }, sk: { S: 'N' }, body: { S: body.toString('utf8') } },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { statusCode: 200 };
  };
  const full: number[] = [];
  const base: number[] = [];
  const warmup = Math.min(200, iterations);
  for (let i = 0; i < iterations + warmup; i++) {
    // Interleaved, so both see the same machine noise; the first 200 warm up and are dropped.
    const a = request(payload());
    let start = performance.now();
    await webhook(a);
    const fullMs = performance.now() - start;
    const b = request(payload());
    start = performance.now();
    await naive(b);
    const baseMs = performance.now() - start;
    if (i >= warmup) {
      full.push(fullMs);
      base.push(baseMs);
    }
  }
  return { full, base };
}

// ---------------------------------------------------------------- local server under load

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function localServerLoad(total: number, concurrency: number) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sync-events-bench-local-'));
  const port = await freePort();
  const dynamodbPort = await freePort();
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      DYNAMODB_PORT: String(dynamodbPort),
      SYNC_EVENTS_DATA: dataDir,
      AIRWEAVE_WEBHOOK_SECRET: SECRET,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) =>
    child.stdout?.on('data', (c: Buffer) => c.toString().includes('local stack running') && resolve()),
  );
  child.stdout?.resume();

  // 75% distinct lifecycle events (jobs of pending, running, completed, every tenth failed), 25% duplicates:
  // half Svix retries (same svix-id), half republished transitions (new svix-id).
  const distinctTarget = Math.round(total * 0.75);
  const jobs = Math.ceil(distinctTarget / 3);
  const deliveries: Array<{ id: string; body: Record<string, unknown> }> = [];
  for (let j = 0; j < jobs && deliveries.length < distinctTarget; j++) {
    const job = randomUUID();
    const source = ['github', 'linear', 'slack', 'notion'][j % 4] as string;
    const base = {
      sync_job_id: job,
      source_type: source,
      source_connection_id: `bench-${source}`,
      collection_readable_id: `bench-${j % 10}`,
    };
    const terminal = j % 10 === 9 ? 'sync.failed' : 'sync.completed';
    ['sync.pending', 'sync.running', terminal].forEach((type, step) =>
      deliveries.push({
        id: `msg_${job}_${step}`,
        body: payload({ ...base, event_type: type, error: type === 'sync.failed' ? 'bench failure' : null }),
      }),
    );
  }
  const distinct = deliveries.slice(0, distinctTarget);
  const all = [...distinct];
  for (let d = 0; all.length < total; d++) {
    const original = distinct[(d * 7919) % distinct.length] as (typeof distinct)[number];
    all.push({ id: d % 2 === 0 ? original.id : `${original.id}_again`, body: original.body });
  }
  for (let i = all.length - 1; i > 0; i--) {
    const k = (i * 48271) % (i + 1);
    [all[i], all[k]] = [all[k] as (typeof all)[number], all[i] as (typeof all)[number]];
  }

  const url = `http://127.0.0.1:${port}/webhooks/airweave`;
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < all.length) {
        const delivery = all[next++] as (typeof all)[number];
        const text = JSON.stringify(delivery.body);
        const t0 = performance.now();
        const response = await fetch(url, {
          method: 'POST',
          headers: signedHeaders(SECRET, delivery.id, Math.floor(Date.now() / 1000), text),
          body: text,
        });
        await response.arrayBuffer();
        latencies.push(performance.now() - t0);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  const client = localDynamoClient(`http://127.0.0.1:${dynamodbPort}`);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, never> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: LOCAL.tableName, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []).map((i) => unmarshall(i)));
    start = page.LastEvaluatedKey as typeof start;
  } while (start);
  client.destroy();
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));

  const recorded = items.filter((i) => i.entity === 'event').length;
  const failedJobs = new Set(
    distinct.filter((d) => d.body.event_type === 'sync.failed').map((d) => d.body.sync_job_id),
  );
  const notifications = readFileSync(path.join(dataDir, LOCAL.notificationsFile), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const alertsPerJob = new Map<string, number>();
  for (const n of notifications.filter((n) => n.channel === 'alert' && n.kind === 'sync.failed')) {
    const job = (n.message as { event: { sync_job_id: string } }).event.sync_job_id;
    alertsPerJob.set(job, (alertsPerJob.get(job) ?? 0) + 1);
  }
  const duplicateAlerts = [...alertsPerJob.values()].reduce((n, c) => n + (c - 1), 0);
  const missingAlerts = [...failedJobs].filter((j) => !alertsPerJob.has(String(j))).length;
  rmSync(dataDir, { recursive: true, force: true });
  return {
    total: all.length,
    distinct: distinct.length,
    seconds,
    throughput: all.length / seconds,
    p50: median(latencies),
    p99: quantile(latencies, 0.99),
    statuses,
    lost: distinct.length - recorded,
    duplicateEffects: duplicateAlerts + Math.max(0, recorded - distinct.length),
    missingAlerts,
    failedJobs: failedJobs.size,
  };
}

// ---------------------------------------------------------------- main

function table(headers: string[], rows: string[][]): void {
  say(`| ${headers.join(' | ')} |`);
  say(`| ${headers.map(() => '---').join(' | ')} |`);
  for (const row of rows) say(`| ${row.join(' | ')} |`);
}

async function main(): Promise<void> {
  const iterations = Number(process.env.BENCH_ITERATIONS ?? 1000);
  const total = Number(process.env.BENCH_EVENTS ?? 10_000);
  say('# Benchmarks');
  say();
  say(
    `Produced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${(await import('node:os')).cpus().length} cores (${(await import('node:os')).cpus()[0]?.model ?? 'unknown CPU'}).`,
  );
  say(
    'One run, all figures side by side; the machine is shared and noisy, so read medians and ratios, not absolutes.',
  );
  say();

  say('## Lambda bundles (minified, as synthesized) and module init');
  say();
  say(
    'Budget: webhook bundle at most 250 KB, module init under 100 ms. Init is the median of 15 fresh `node` processes requiring the bundle, AWS SDK included.',
  );
  say();
  const bundles = bundlesAndInit();
  table(['function', 'bundle', 'init (median)', 'init (p90)'], bundles.rows);
  say();

  // The engine in its own process, as in local mode: parallel writes then overlap as they would against
  // DynamoDB, instead of queueing on the benchmark's own event loop.
  const engine = await startEngineProcess({ host: '127.0.0.1', port: 0 });
  const fake = await startFakeAws();
  try {
    say('## AWS calls per event, counted at the SDK clients');
    say();
    say(
      'Budget: at most 3 for a plain lifecycle event, plus one per publish and per pipeline start. DynamoDB is the local engine; SNS and Step Functions a loopback stand-in that answers success.',
    );
    say();
    table(
      ['delivery', 'status', 'DynamoDB', 'SNS', 'Step Functions', 'total'],
      await callsPerEvent(engine.endpoint, fake.endpoint),
    );
    say();

    say(
      `## Warm handler latency (${iterations} interleaved pairs against the local engine, a quarter as many with delay)`,
    );
    say();
    say(
      'The webhook issues its three writes and the events-topic publish at once. The local engine executes',
    );
    say(
      'requests one at a time on one core, so there they cannot overlap and the first group mostly measures engine',
    );
    say(
      'CPU. The second group adds a 5 ms delay to every AWS call (an in-region round trip): there the parallel',
    );
    say('requests overlap, as they do against DynamoDB and SNS.');
    say();
    const rows: string[][] = [];
    for (const delayMs of [0, 5]) {
      const count = delayMs === 0 ? iterations : Math.ceil(iterations / 4);
      const { full, base } = await latency(engine.endpoint, fake.endpoint, count, delayMs);
      const label = delayMs === 0 ? 'local engine' : `+${delayMs} ms per call`;
      const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
      rows.push(
        [
          `${label}: webhook (verify, 3 writes + publish in parallel)`,
          ms(median(full)),
          ms(quantile(full, 0.99)),
        ],
        [`${label}: naive (verify, one put)`, ms(median(base)), ms(quantile(base, 0.99))],
        [
          `${label}: ratio webhook / naive`,
          ratio(median(full), median(base)),
          ratio(quantile(full, 0.99), quantile(base, 0.99)),
        ],
      );
    }
    table(['handler', 'p50', 'p99'], rows);
    say();
  } finally {
    await fake.stop();
    await engine.stop();
  }

  say(`## Local server under load (\`npm start\`, ${total} signed events, 50 concurrent requests)`);
  say();
  const load = await localServerLoad(total, 50);
  table(
    ['figure', 'value'],
    [
      [
        'requests (distinct events + duplicates)',
        `${load.total} (${load.distinct} + ${load.total - load.distinct})`,
      ],
      ['statuses', [...load.statuses].map(([s, n]) => `${s}: ${n}`).join(', ')],
      ['throughput', `${load.throughput.toFixed(0)} requests/s (${load.seconds.toFixed(1)} s)`],
      ['latency p50 / p99', `${ms(load.p50)} / ${ms(load.p99)}`],
      ['events lost (must be 0)', String(load.lost)],
      ['duplicate effects (must be 0)', String(load.duplicateEffects)],
      ['failure alerts missing (must be 0)', `${load.missingAlerts} of ${load.failedJobs} failed jobs`],
    ],
  );
  say();
  for (const line of [...(await cliStartup()), '']) say(line);
  for (const line of [...(await boardRender()), '']) say(line);
  say('## Budgets');
  say();
  const initOk = bundles.webhookInitMs < 100;
  say(
    `- Webhook bundle: ${bundles.webhookKb.toFixed(1)} KB of 250 KB. The AWS SDK is left out (the Lambda runtime provides it); zod/mini, Powertools and the core are in.`,
  );
  say(
    `- Webhook module init: ${ms(bundles.webhookInitMs)} (budget 100 ms, ${initOk ? 'met' : 'missed'}), of which the AWS SDK clients alone take ` +
      `${ms(bundles.sdkInitMs)}: the project's own code costs the difference. ${initOk ? 'The p90 can pass 100 ms on this shared machine.' : 'The fix: load the Step Functions and Secrets Manager clients on first use (they serve rare paths), or bundle the few SDK commands used, tree-shaken, instead of loading whole client packages.'}`,
  );
  say(
    "- A plain lifecycle event costs 3 DynamoDB writes and 1 publish (the budget). A duplicate or late event costs more: when the combined conditional update fails, each register is retried alone (up to one call per register). DynamoDB's ReturnValuesOnConditionCheckFailure would let the function pick the registers that can move from the old item in one more call; the local engine does not support it, so it is not used yet.",
  );
  say(
    "- Latency: against a 5 ms round trip, the webhook costs about one round trip plus the engine's work, not four: the writes and the publish overlap.",
  );
  say(
    `- Local server: ${load.lost} events lost and ${load.duplicateEffects} duplicate effects. Throughput is bound by the embedded engine (dynalite runs every request on one core, each event is 3 conditional writes on 2 indexes); DynamoDB itself has no such ceiling.`,
  );
  writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), `${report.join('\n')}\n`);
  if (existsSync(path.join(ROOT, 'cdk.out')) && readdirSync(path.join(ROOT, 'cdk.out')).length === 0)
    rmSync(path.join(ROOT, 'cdk.out'), { recursive: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
