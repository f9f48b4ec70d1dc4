/**
 * Tracer or no tracing? Decided by the webhook's cold start with and without Powertools' Tracer, measured
 * side by side in one run (docs: issue 15, "decide by the measured cold-start cost"). Both variants are the
 * webhook as deployed (the construct's esbuild options, `BUNDLING`; the SDK left to the runtime's copy), with
 * `lambda/adapters/tracing.ts` once capturing every SDK client with the Tracer and once, as shipped,
 * returning it unchanged, so that neither the Tracer nor the X-Ray SDK is bundled. Each sample is a fresh `node` process with Lambda's
 * environment (`AWS_EXECUTION_ENV`, `LAMBDA_TASK_ROOT`, a sampled `_X_AMZN_TRACE_ID`), so the Tracer is on
 * and the X-Ray SDK starts in its Lambda mode: module init, then one signed delivery, whose traced SDK
 * calls send their subsegments over UDP to `AWS_XRAY_DAEMON_ADDRESS` (nothing listens: sending is the cost).
 * Run alone with `npx tsx bench/tracer.ts`.
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { build, type Plugin } from 'esbuild';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
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
import { markdownTable, quantile } from './latency';
import { BENCH_SECRET, standInServer } from './sdk-bundling';

const ROOT = path.join(__dirname, '..');

interface Variant {
  readonly label: string;
  readonly plugins: Plugin[];
  file?: string;
  kb?: number;
  readonly init: number[];
  readonly first: number[];
  readonly cpu: number[];
  readonly statuses: Map<number, number>;
}

/**
 * `adapters/tracing.ts` as shipped (clients returned as they are), or with Powertools' Tracer capturing each
 * client, as the Tracer's documentation shows.
 */
const tracingModule = (withTracer: boolean): Plugin => ({
  name: 'tracing',
  setup(b) {
    b.onLoad({ filter: /lambda[\\/]adapters[\\/]tracing\.ts$/ }, () => ({
      contents: withTracer
        ? "import { Tracer } from '@aws-lambda-powertools/tracer';\n" +
          'const tracer = new Tracer();\n' +
          'export function traced(client) { return tracer.captureAWSv3Client(client); }\n'
        : 'export function traced(client) { return client; }\n',
      loader: 'js',
      resolveDir: ROOT,
    }));
  },
});

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

function coldStart(variant: Variant, env: NodeJS.ProcessEnv): Promise<void> {
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
      { env: { ...env, BENCH_BUNDLE: variant.file, BENCH_EVENT: JSON.stringify(event) }, encoding: 'utf8' },
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

export interface TracerFigures {
  readonly lines: string[];
  /** Median cold start (init plus first call) added by the Tracer, in ms. */
  readonly addedMs: number;
}

export async function tracerSection(engineEndpoint: string, samples = 15): Promise<TracerFigures> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'sync-events-bench-tracer-'));
  const variants: Variant[] = [
    { label: 'with the Tracer (SDK clients captured)', plugins: [tracingModule(true)] },
    { label: 'without (as shipped: tracing off)', plugins: [tracingModule(false)] },
  ].map((v) => ({ ...v, init: [], first: [], cpu: [], statuses: new Map() }));
  for (const [i, variant] of variants.entries()) {
    variant.file = path.join(outdir, String(i), 'index.js');
    // The construct's options (NodejsFunction runs esbuild with them); only the tracing module differs.
    await build({
      entryPoints: [path.join(ROOT, 'lambda', 'webhook', 'handler.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: BUNDLING.target,
      minify: BUNDLING.minify,
      sourcemap: BUNDLING.sourceMap,
      sourcesContent: BUNDLING.sourcesContent,
      external: [...BUNDLING.externalModules],
      plugins: variant.plugins,
      outfile: variant.file,
      logLevel: 'error',
    });
    variant.kb = statSync(variant.file).size / 1024;
  }

  const table = `bench-tracer-${randomUUID().slice(0, 8)}`;
  const client = localDynamoClient(engineEndpoint);
  await client.send(new CreateTableCommand(createTableInput(table)));
  client.destroy();
  const standIn = await standInServer();
  const taskRoot = mkdtempSync(path.join(tmpdir(), 'sync-events-bench-task-'));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_OPTIONS: '--enable-source-maps',
    // A stand-in for the runtime's `/var/runtime/node_modules` (see bench/sdk-bundling.ts).
    NODE_PATH: path.join(ROOT, 'node_modules'),
    // Lambda's own variables: the Tracer turns itself off outside Lambda, the X-Ray SDK has a Lambda mode.
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: 'webhook',
    LAMBDA_TASK_ROOT: taskRoot,
    _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
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
    // Alternating, the order flipped every round, so both variants see the same machine; round 0 warms up.
    for (let i = 0; i < samples + 1; i++) {
      const order = i % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) await coldStart(variant, env);
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
    rmSync(taskRoot, { recursive: true, force: true });
  }
  const p50 = (values: readonly number[]) => quantile(values, 0.5);
  const total = (v: Variant) => v.init.map((x, i) => x + (v.first[i] ?? 0));
  const [traced, plain] = variants as [Variant, Variant];
  const addedMs = p50(total(traced)) - p50(total(plain));
  const rows = variants.map((v) => [
    v.label,
    `${(v.kb ?? 0).toFixed(1)} KB`,
    `${p50(v.init).toFixed(1)} ms`,
    `${p50(v.first).toFixed(1)} ms`,
    `${p50(total(v)).toFixed(1)} ms`,
    `${quantile(total(v), 0.9).toFixed(1)} ms`,
    `${p50(v.cpu).toFixed(1)} ms`,
    [...v.statuses].map(([s, n]) => `${s}: ${n}`).join(', '),
  ]);
  const lines = [
    `## Tracer: cold-start cost (webhook, ${samples} fresh processes each, alternating)`,
    '',
    "Each sample is a fresh process with Lambda's environment: module init (loading the bundle), then one signed delivery with a Lambda context. The SDK is the runtime's copy (`node_modules` through NODE_PATH); AWS calls go to the local engine and a loopback stand-in; subsegments go over UDP to an address where nothing listens.",
    '',
    ...markdownTable(
      [
        'variant',
        'bundle',
        'init p50',
        'first call p50',
        'cold start p50',
        'cold start p90',
        'CPU p50',
        'answers',
      ],
      rows,
    ),
    '',
    `- The Tracer adds ${addedMs.toFixed(1)} ms to the median cold start (${(p50(total(traced)) / p50(total(plain))).toFixed(2)}x) and ${((traced.kb ?? 0) - (plain.kb ?? 0)).toFixed(0)} KB to the bundle; CPU ${p50(traced.cpu).toFixed(0)} ms against ${p50(plain.cpu).toFixed(0)} ms.`,
    '',
  ];
  return { lines, addedMs };
}

/** `npx tsx bench/tracer.ts [samples]`: this section alone. */
if (require.main === module) {
  void (async () => {
    const { startEngineProcess } = await import('../local/engine');
    const engine = await startEngineProcess({ host: '127.0.0.1', port: 0 });
    try {
      const { lines } = await tracerSection(engine.endpoint, Number(process.argv[2] ?? 15));
      console.log(lines.join('\n'));
    } finally {
      await engine.stop();
    }
  })();
}
