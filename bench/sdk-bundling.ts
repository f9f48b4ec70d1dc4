/**
 * Bundle the AWS SDK into each function, or use the copy the Lambda runtime provides? Decided by the
 * cold start of each, measured side by side in one run: both variants of the webhook are built with the
 * construct's own esbuild options (`BUNDLING` in `lib/sync-function.ts`), then each sample is a fresh
 * `node` process that loads the bundle (module init) and serves one signed delivery (the first
 * invocation, where the SDK loads its credential chain, endpoint rules and protocol code on first use).
 *
 * The "runtime's copy" is this repository's `node_modules`, found through NODE_PATH as the runtime finds
 * `/var/runtime/node_modules`: a STAND-IN for the runtime's copy, which is the same unminified package
 * layout. The first invocation's AWS calls go to the local engine (DynamoDB) and to a loopback stand-in
 * for Secrets Manager and SNS, through the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` variables.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { readConfigFile } from '../bin/config-file';
import { createTableInput } from '../lambda/adapters/table-definition';
import { runtimeSettings } from '../lambda/core/config';
import { signedHeaders } from '../lambda/core/signature';
import { ENV } from '../lambda/core/table-schema';
import { BUNDLING } from '../lib/sync-function';
import { localDynamoClient } from '../local/engine';
import { currentPayload } from '../examples/payloads';
import { snsStandIn } from './aws-stand-in';
import { markdownTable, quantile } from './latency';

const ROOT = path.join(__dirname, '..');
/** The signing secret the stand-in's GetSecretValue answers with (also used by bench/tracer.ts). */
export const BENCH_SECRET = `whsec_${Buffer.from('benchmark-signing-secret-32-bytes!').toString('base64')}`;

interface Variant {
  readonly name: string;
  readonly label: string;
  readonly external: readonly string[];
  file?: string;
  kb?: number;
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

/** One cold start in a fresh process: module init, then one signed delivery. */
const PROBE = `
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const { handler } = require(process.env.BENCH_BUNDLE);
const t1 = performance.now();
const event = JSON.parse(process.env.BENCH_EVENT);
event.headers = JSON.parse(process.env.BENCH_HEADERS);
handler(event).then((response) => {
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write('\\nBENCH ' + JSON.stringify({ init: t1 - t0, first: t2 - t1, cpu: (cpu.user + cpu.system) / 1000, status: response.statusCode }), () => process.exit(0));
});
`;

function coldStart(variant: Variant, env: NodeJS.ProcessEnv): Promise<void> {
  const body = JSON.stringify({
    ...currentPayload(),
    sync_job_id: randomUUID(),
    timestamp: new Date().toISOString(),
  });
  const headers = signedHeaders(BENCH_SECRET, `msg_${randomUUID()}`, Math.floor(Date.now() / 1000), body);
  const event = {
    version: '2.0',
    routeKey: 'POST /webhooks/airweave',
    rawPath: '/webhooks/airweave',
    rawQueryString: '',
    requestContext: { http: { method: 'POST', path: '/webhooks/airweave', sourceIp: '127.0.0.1' } },
    body,
    isBase64Encoded: false,
  };
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['-e', PROBE],
      {
        env: {
          ...env,
          BENCH_BUNDLE: variant.file,
          BENCH_EVENT: JSON.stringify(event),
          BENCH_HEADERS: JSON.stringify(headers),
        },
        encoding: 'utf8',
      },
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
        variant.init.push(sample.init);
        variant.first.push(sample.first);
        variant.cpu.push(sample.cpu);
        variant.statuses.set(sample.status, (variant.statuses.get(sample.status) ?? 0) + 1);
        resolve();
      },
    ),
  );
}

export interface BundlingFigures {
  readonly lines: string[];
  /** True when bundling the SDK gave the shorter cold start in this run. */
  readonly bundledIsFaster: boolean;
}

export async function sdkBundlingSection(engineEndpoint: string, samples = 15): Promise<BundlingFigures> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'sync-events-bench-sdk-'));
  const variants: Variant[] = [
    { name: 'runtime', label: "runtime's copy (SDK external)", external: ['@aws-sdk/*'] },
    { name: 'bundled', label: 'bundled, pinned (SDK in the bundle)', external: [] },
  ].map((v) => ({ ...v, init: [], first: [], cpu: [], statuses: new Map() }));
  for (const variant of variants) {
    variant.file = path.join(outdir, variant.name, 'index.js');
    // The construct's options (NodejsFunction runs esbuild with them); only `external` differs.
    await build({
      entryPoints: [path.join(ROOT, 'lambda', 'webhook', 'handler.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: BUNDLING.target,
      minify: BUNDLING.minify,
      sourcemap: BUNDLING.sourceMap,
      sourcesContent: BUNDLING.sourcesContent,
      external: [...variant.external],
      outfile: variant.file,
      logLevel: 'error',
    });
    variant.kb = statSync(variant.file).size / 1024;
  }

  const table = `bench-cold-${randomUUID().slice(0, 8)}`;
  const client = localDynamoClient(engineEndpoint);
  await client.send(new CreateTableCommand(createTableInput(table)));
  client.destroy();
  const standIn = await standInServer();
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
  };
  try {
    // Alternating, and the order flipped every round, so both variants see the same machine.
    for (let i = 0; i < samples + 1; i++) {
      const order = i % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) await coldStart(variant, env);
      // The first round warms the file cache for both and is dropped.
      if (i === 0)
        for (const v of variants) {
          v.init.length = 0;
          v.first.length = 0;
          v.cpu.length = 0;
          v.statuses.clear();
        }
    }
  } finally {
    await standIn.stop();
    rmSync(outdir, { recursive: true, force: true });
  }
  const p50 = (values: readonly number[]) => quantile(values, 0.5);
  const total = (v: Variant) => v.init.map((x, i) => x + (v.first[i] ?? 0));
  const rows = variants.map((v) => [
    v.label,
    `${(v.kb ?? 0).toFixed(1)} KB`,
    `${p50(v.init).toFixed(1)} ms`,
    `${p50(v.first).toFixed(1)} ms`,
    `${p50(total(v)).toFixed(1)} ms`,
    `${quantile(total(v), 0.9).toFixed(1)} ms`,
    `${Math.min(...total(v)).toFixed(1)} ms`,
    `${p50(v.cpu).toFixed(1)} ms`,
    [...v.statuses].map(([s, n]) => `${s}: ${n}`).join(', '),
  ]);
  const [runtime, bundled] = variants as [Variant, Variant];
  const bundledIsFaster = p50(total(bundled)) < p50(total(runtime));
  const lines = [
    `## AWS SDK: bundled or the runtime's copy (webhook cold start, ${samples} fresh processes each, alternating)`,
    '',
    "Module init is loading the bundle; the first invocation is one signed delivery, during which the SDK loads what it loads on first use. The runtime's copy is this repository's `node_modules` through NODE_PATH (a stand-in for `/var/runtime/node_modules`, same package layout); AWS calls go to the local engine and a loopback stand-in. `NODE_OPTIONS=--enable-source-maps` as deployed.",
    '',
    ...markdownTable(
      [
        'variant',
        'bundle',
        'init p50',
        'first call p50',
        'cold start p50',
        'cold start p90',
        'cold start min',
        'CPU p50',
        'answers',
      ],
      rows,
    ),
    '',
    `- Cold start, bundled / runtime's copy: ${(p50(total(bundled)) / p50(total(runtime))).toFixed(2)}x (p50). ` +
      `In this run the ${bundledIsFaster ? 'bundled SDK' : "runtime's copy"} starts faster.`,
    '',
  ];
  return { lines, bundledIsFaster };
}

/** `npx tsx bench/sdk-bundling.ts`: this section alone. */
if (require.main === module) {
  void (async () => {
    const { startEngineProcess } = await import('../local/engine');
    const engine = await startEngineProcess({ host: '127.0.0.1', port: 0 });
    try {
      const { lines } = await sdkBundlingSection(engine.endpoint, Number(process.env.BENCH_SAMPLES ?? 15));
      console.log(lines.join('\n'));
    } finally {
      await engine.stop();
    }
  })();
}
