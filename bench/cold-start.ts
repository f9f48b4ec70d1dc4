/**
 * Cold starts of the webhook bundle, measured as the SDK-bundling and Tracer decisions need them: each
 * variant is the webhook built with the construct's esbuild options (`BUNDLING`) and one difference (what is
 * external, a plugin), each sample a fresh `node` process: module init (loading the bundle), then one
 * signed delivery with a Lambda context. The SDK, when external, is the runtime's copy: this repository's
 * `node_modules` through NODE_PATH (a stand-in for `/var/runtime/node_modules`, same package layout); AWS
 * calls go to the local engine and a loopback stand-in. Variants alternate, the order flipped every round,
 * so all see the same machine; the first round warms the file cache and is dropped.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { build, type Plugin } from 'esbuild';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readConfigFile } from '../bin/config-file';
import { currentPayload } from '../examples/payloads';
import { createTableInput } from '../lambda/adapters/table-definition';
import { runtimeSettings } from '../lambda/core/config';
import { signedHeaders } from '../lambda/core/signature';
import { ROUTES } from '../lambda/core/stack-contract';
import { ENV } from '../lambda/core/table-schema';
import { BUNDLING } from '../lib/sync-function';
import { localDynamoClient } from '../local/engine';
import { snsStandIn } from './aws-stand-in';
import { quantile } from './latency';

const ROOT = path.join(__dirname, '..');
export const BENCH_SECRET = `whsec_${Buffer.from('benchmark-signing-secret-32-bytes!').toString('base64')}`;

export interface VariantSpec {
  readonly label: string;
  /** Modules left out of the bundle (default: the construct's). */
  readonly external?: readonly string[];
  readonly plugins?: Plugin[];
}

export interface ColdStarts extends VariantSpec {
  readonly kb: number;
  readonly init: number[];
  readonly first: number[];
  readonly cpu: number[];
  readonly statuses: Map<number, number>;
}

/** Secrets Manager's GetSecretValue and SNS's Publish, answered at once (cold start is not about the network). */
export async function standInServer(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const sns = snsStandIn();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      if (target.endsWith('GetSecretValue')) {
        response.setHeader('content-type', 'application/x-amz-json-1.1');
        response.end(
          JSON.stringify({
            ARN: 'arn:aws:secretsmanager:us-east-1:0:secret:bench',
            SecretString: BENCH_SECRET,
          }),
        );
        return;
      }
      const answer = sns.answer('Publish', Buffer.concat(chunks).toString('utf8'));
      response.writeHead(answer.statusCode, answer.headers);
      response.end(Buffer.from(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One cold start in a fresh process: module init, then one signed delivery with a Lambda context. */
const PROBE = `
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { handler } = require(process.env.BENCH_BUNDLE);
const t1 = performance.now();
const event = JSON.parse(process.env.BENCH_EVENT);
const context = { functionName: 'webhook', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:webhook', memoryLimitInMB: '256', awsRequestId: 'bench-request', getRemainingTimeInMillis: () => 10000 };
handler(event, context).then((response) => {
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write('\\nBENCH ' + JSON.stringify({ init: t1 - t0, first: t2 - t1, cpu: (cpu.user + cpu.system) / 1000, status: response.statusCode }), () => process.exit(0));
});
`;

function coldStart(file: string, samples: ColdStarts, env: NodeJS.ProcessEnv): Promise<void> {
  const body = JSON.stringify({
    ...currentPayload(),
    sync_job_id: randomUUID(),
    timestamp: new Date().toISOString(),
  });
  const event = {
    version: '2.0',
    routeKey: `POST ${ROUTES.webhook}`,
    rawPath: ROUTES.webhook,
    rawQueryString: '',
    headers: signedHeaders(BENCH_SECRET, `msg_${randomUUID()}`, Math.floor(Date.now() / 1000), body),
    requestContext: { http: { method: 'POST', path: ROUTES.webhook, sourceIp: '127.0.0.1' } },
    body,
    isBase64Encoded: false,
  };
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['-e', PROBE],
      { env: { ...env, BENCH_BUNDLE: file, BENCH_EVENT: JSON.stringify(event) }, encoding: 'utf8' },
      (error, stdout) => {
        if (error) return reject(error);
        // The function logs to stdout too (as on Lambda): the probe's line is the marked one.
        const line = stdout.split('\n').find((l) => l.startsWith('BENCH ')) ?? '';
        const sample = JSON.parse(line.slice('BENCH '.length)) as {
          init: number;
          first: number;
          cpu: number;
          status: number;
        };
        samples.init.push(sample.init);
        samples.first.push(sample.first);
        samples.cpu.push(sample.cpu);
        samples.statuses.set(sample.status, (samples.statuses.get(sample.status) ?? 0) + 1);
        resolve();
      },
    ),
  );
}

/**
 * Builds every variant and measures `samples` cold starts of each. `extraEnv` adds to the function's
 * environment (given a scratch `LAMBDA_TASK_ROOT`), for what a variant needs to see Lambda around it.
 */
export async function measureColdStarts(
  engineEndpoint: string,
  specs: readonly VariantSpec[],
  samples: number,
  extraEnv: (taskRoot: string) => NodeJS.ProcessEnv = () => ({}),
): Promise<ColdStarts[]> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'sync-events-bench-cold-'));
  const taskRoot = mkdtempSync(path.join(tmpdir(), 'sync-events-bench-task-'));
  const standIn = await standInServer();
  try {
    const built = await Promise.all(
      specs.map(async (spec, i) => {
        const file = path.join(outdir, String(i), 'index.js');
        // The construct's options (NodejsFunction runs esbuild with them); only the variant's difference differs.
        await build({
          entryPoints: [path.join(ROOT, 'lambda', 'webhook', 'handler.ts')],
          bundle: true,
          platform: 'node',
          format: 'cjs',
          target: BUNDLING.target,
          minify: BUNDLING.minify,
          sourcemap: BUNDLING.sourceMap,
          sourcesContent: BUNDLING.sourcesContent,
          external: [...(spec.external ?? BUNDLING.externalModules)],
          plugins: spec.plugins ?? [],
          outfile: file,
          logLevel: 'error',
        });
        const variant: ColdStarts = {
          ...spec,
          kb: statSync(file).size / 1024,
          init: [],
          first: [],
          cpu: [],
          statuses: new Map(),
        };
        return { file, variant };
      }),
    );
    const table = `bench-cold-${randomUUID().slice(0, 8)}`;
    const client = localDynamoClient(engineEndpoint);
    await client.send(new CreateTableCommand(createTableInput(table)));
    client.destroy();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      // As deployed: the function's NODE_OPTIONS (source maps make a larger bundle's map part of init).
      NODE_OPTIONS: '--enable-source-maps',
      NODE_PATH: path.join(ROOT, 'node_modules'),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: engineEndpoint,
      AWS_ENDPOINT_URL_SNS: standIn.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: standIn.endpoint,
      [ENV.tableName]: table,
      [ENV.secretArn]: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench',
      [ENV.settings]: JSON.stringify(
        runtimeSettings(readConfigFile(path.join(ROOT, 'config', 'default.json'))),
      ),
      [ENV.eventsTopicArn]: 'arn:aws:sns:us-east-1:000000000000:events',
      [ENV.alertTopicArns]: JSON.stringify({ default: 'arn:aws:sns:us-east-1:000000000000:default' }),
      [ENV.pipelineStateMachineArns]: '{}',
      ...extraEnv(taskRoot),
    };
    for (let i = 0; i < samples + 1; i++) {
      const order = i % 2 === 0 ? built : [...built].reverse();
      for (const { file, variant } of order) await coldStart(file, variant, env);
      if (i === 0)
        for (const { variant } of built) {
          variant.init.length = 0;
          variant.first.length = 0;
          variant.cpu.length = 0;
          variant.statuses.clear();
        }
    }
    return built.map((b) => b.variant);
  } finally {
    await standIn.stop();
    rmSync(outdir, { recursive: true, force: true });
    rmSync(taskRoot, { recursive: true, force: true });
  }
}

const p50 = (values: readonly number[]) => quantile(values, 0.5);
/** Each sample's cold start: module init plus the first invocation. */
export const coldStartTotals = (v: ColdStarts) => v.init.map((x, i) => x + (v.first[i] ?? 0));
export const medianColdStart = (v: ColdStarts) => p50(coldStartTotals(v));

/** The table columns both decisions report, one row per variant (`min` adds the fastest cold start). */
export function coldStartTable(
  variants: readonly ColdStarts[],
  withMin = false,
): { header: string[]; rows: string[][] } {
  const header = ['variant', 'bundle', 'init p50', 'first call p50', 'cold start p50', 'cold start p90'];
  if (withMin) header.push('cold start min');
  header.push('CPU p50', 'answers');
  const rows = variants.map((v) => {
    const total = coldStartTotals(v);
    return [
      v.label,
      `${v.kb.toFixed(1)} KB`,
      `${p50(v.init).toFixed(1)} ms`,
      `${p50(v.first).toFixed(1)} ms`,
      `${p50(total).toFixed(1)} ms`,
      `${quantile(total, 0.9).toFixed(1)} ms`,
      ...(withMin ? [`${Math.min(...total).toFixed(1)} ms`] : []),
      `${p50(v.cpu).toFixed(1)} ms`,
      [...v.statuses].map(([s, n]) => `${s}: ${n}`).join(', '),
    ];
  });
  return { header, rows };
}
