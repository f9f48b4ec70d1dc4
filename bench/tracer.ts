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
import type { Plugin } from 'esbuild';
import path from 'node:path';
import { coldStartTable, measureColdStarts, medianColdStart } from './cold-start';
import { markdownTable, quantile } from './latency';

const ROOT = path.join(__dirname, '..');

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

export interface TracerFigures {
  readonly lines: string[];
  /** Median cold start (init plus first call) added by the Tracer, in ms. */
  readonly addedMs: number;
}

export async function tracerSection(engineEndpoint: string, samples = 15): Promise<TracerFigures> {
  const variants = await measureColdStarts(
    engineEndpoint,
    [
      { label: 'with the Tracer (SDK clients captured)', plugins: [tracingModule(true)] },
      { label: 'without (as shipped: tracing off)', plugins: [tracingModule(false)] },
    ],
    samples,
    // Lambda's own variables: the Tracer turns itself off outside Lambda, the X-Ray SDK has a Lambda mode.
    (taskRoot) => ({
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: 'webhook',
      LAMBDA_TASK_ROOT: taskRoot,
      _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    }),
  );
  const p50 = (values: readonly number[]) => quantile(values, 0.5);
  const [traced, plain] = variants as [(typeof variants)[number], (typeof variants)[number]];
  const addedMs = medianColdStart(traced) - medianColdStart(plain);
  const { header, rows } = coldStartTable(variants);
  const lines = [
    `## Tracer: cold-start cost (webhook, ${samples} fresh processes each, alternating)`,
    '',
    "Each sample is a fresh process with Lambda's environment: module init (loading the bundle), then one signed delivery with a Lambda context. The SDK is the runtime's copy (`node_modules` through NODE_PATH); AWS calls go to the local engine and a loopback stand-in; subsegments go over UDP to an address where nothing listens.",
    '',
    ...markdownTable(header, rows),
    '',
    `- The Tracer adds ${addedMs.toFixed(1)} ms to the median cold start (${(medianColdStart(traced) / medianColdStart(plain)).toFixed(2)}x) and ${(traced.kb - plain.kb).toFixed(0)} KB to the bundle; CPU ${p50(traced.cpu).toFixed(0)} ms against ${p50(plain.cpu).toFixed(0)} ms.`,
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
