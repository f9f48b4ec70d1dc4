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
import { coldStartTable, measureColdStarts, medianColdStart } from './cold-start';
import { markdownTable } from './latency';

export interface BundlingFigures {
  readonly lines: string[];
  /** True when bundling the SDK gave the shorter cold start in this run. */
  readonly bundledIsFaster: boolean;
}

export async function sdkBundlingSection(engineEndpoint: string, samples = 15): Promise<BundlingFigures> {
  const variants = await measureColdStarts(
    engineEndpoint,
    [
      { label: "runtime's copy (SDK external)", external: ['@aws-sdk/*'] },
      { label: 'bundled, pinned (SDK in the bundle)', external: [] },
    ],
    samples,
  );
  const [runtime, bundled] = variants as [(typeof variants)[number], (typeof variants)[number]];
  const bundledIsFaster = medianColdStart(bundled) < medianColdStart(runtime);
  const { header, rows } = coldStartTable(variants, true);
  const lines = [
    `## AWS SDK: bundled or the runtime's copy (webhook cold start, ${samples} fresh processes each, alternating)`,
    '',
    "Module init is loading the bundle; the first invocation is one signed delivery, during which the SDK loads what it loads on first use. The runtime's copy is this repository's `node_modules` through NODE_PATH (a stand-in for `/var/runtime/node_modules`, same package layout); AWS calls go to the local engine and a loopback stand-in. `NODE_OPTIONS=--enable-source-maps` as deployed.",
    '',
    ...markdownTable(header, rows),
    '',
    `- Cold start, bundled / runtime's copy: ${(medianColdStart(bundled) / medianColdStart(runtime)).toFixed(2)}x (p50). ` +
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
