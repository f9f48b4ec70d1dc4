import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Token, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The repository root: esbuild resolves imports and the lock file from here, independent of the caller's cwd. */
const PROJECT_ROOT = path.join(__dirname, '..');

/** Lambda's limit on the total size of a function's environment variables, names and values together. */
export const LAMBDA_ENVIRONMENT_LIMIT = 4096;

/**
 * What one deploy-time value (a `Ref`, a `Fn::GetAtt`, ...) is counted as: more than any ARN or name of the
 * stack's resources, so the estimate errs towards failing synthesis rather than the deploy.
 */
const TOKEN_SIZE = 128;

/**
 * The size in bytes the environment will have once deployed. Deploy-time values are unknown at synth, so each
 * token counts `TOKEN_SIZE`; a token that resolves to a join (the JSON maps of topic and state machine ARNs
 * are one token each) counts its literal parts plus `TOKEN_SIZE` per value in it.
 */
export function environmentSize(scope: Construct, environment: Readonly<Record<string, string>>): number {
  const stack = Stack.of(scope);
  const resolvedSize = (value: unknown): number => {
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
    const join = (value as { 'Fn::Join'?: [string, unknown[]] } | null)?.['Fn::Join'];
    if (join)
      return (
        join[1].reduce<number>((sum, part) => sum + resolvedSize(part), 0) +
        Buffer.byteLength(join[0]) * Math.max(join[1].length - 1, 0)
      );
    return TOKEN_SIZE;
  };
  const valueSize = (value: string): number => {
    if (!Token.isUnresolved(value)) return Buffer.byteLength(value);
    const fragments = Tokenization.reverseString(value);
    // The literal fragments, joined as if every token were empty, then each token by what it resolves to.
    const literals = fragments
      .mapTokens({ mapToken: () => '' })
      .join({ join: (left: unknown, right: unknown) => `${String(left ?? '')}${String(right ?? '')}` });
    return fragments.tokens.reduce(
      (sum, token) => sum + resolvedSize(stack.resolve(token)),
      Buffer.byteLength(String(literals ?? '')),
    );
  };
  return Object.entries(environment).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key) + valueSize(value),
    0,
  );
}

/**
 * What esbuild does to every function's code, in one place: the construct bundles with it, and the
 * benchmark (`bench/sdk-bundling.ts`) builds the alternatives from it to measure their cold starts.
 */
export const BUNDLING = {
  target: 'node24',
  minify: true,
  sourceMap: true,
  // Stack traces need only file and line; leaving the sources out keeps the map, and the zip, small.
  sourcesContent: false,
  // The AWS SDK v3 is the Lambda Node.js runtime's copy, left out of the bundle. Decided by measurement
  // (BENCHMARKS.md, "AWS SDK: bundled or the runtime's copy"): bundling it (pinned) gave no shorter cold
  // start, init plus first call, in two runs side by side (1.00x and 1.04x at p50), for a webhook bundle of
  // 744 KB instead of 86 KB (its budget is 250 KB, docs/DESIGN.md section 7). Everything else (zod, Powertools,
  // the domain core) is bundled, tree-shaken and minified.
  externalModules: ['@aws-sdk/*'],
} as const;

export interface SyncFunctionProps {
  /** Absolute path of the handler module; it must export `handler`. */
  readonly entry: string;
  /**
   * Environment variables for the handler, merged over `NODE_OPTIONS`.
   * @default - none besides NODE_OPTIONS
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Maximum run time of one invocation.
   * @default Duration.seconds(10) - well under Svix's ~15 s wait, so a slow call fails and Svix retries
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB; on Lambda CPU scales with it. 256 suits the background functions; the two on a request
   * path take more (`REQUEST_PATH_MEMORY_MB` in webhook-ingress.ts, decided by measurement).
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Description shown in the Lambda console.
   * @default - no description
   */
  readonly description?: string;
  /**
   * How long the function's log group keeps its logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The one place the project's Lambda defaults are set: Node.js 24 (the newest LTS runtime), ARM_64 (cheaper
 * per ms than x86 for the same work), an explicit log group with retention (instead of the never-expiring
 * one Lambda would create), no X-Ray (measured: see `tracing` below), and a minified bundle with source maps.
 *
 * The execution role is created here too, with log writes granted on this function's log group only, instead
 * of the AWSLambdaBasicExecutionRole managed policy (which allows writing to every log group in the account).
 */
export class SyncFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: SyncFunctionProps) {
    const environment = {
      // Stack traces in the logs point at the TypeScript sources through the bundled source map.
      NODE_OPTIONS: '--enable-source-maps',
      ...props.environment,
    };
    // The settings and the topic and state machine maps grow with the app config; past Lambda's limit the
    // deploy fails after the stack has started updating, so synthesis fails first (and before bundling).
    const size = environmentSize(scope, environment);
    if (size > LAMBDA_ENVIRONMENT_LIMIT)
      throw new Error(
        `${scope.node.path}/${id}: its environment variables would take about ${size} bytes, over Lambda's ` +
          `4 KB limit (${LAMBDA_ENVIRONMENT_LIMIT} bytes for all names and values together); shorten the app ` +
          'config (fewer freshness rules, alert routes, teams or pipelines, or shorter names and patterns).',
      );
    // The log group and role must exist before super() runs, so they are siblings under derived ids.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // Logs are operational, not the audit record (that lives in the table), so they go with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      // No X-Ray: decided by measurement (BENCHMARKS.md, "Tracer: cold-start cost"). Active tracing without
      // Powertools' Tracer records one segment per invocation and none of the AWS calls; with it, the
      // webhook's cold start took 1.4x as long and its bundle twice the size. The logs carry the request id
      // (lambdaTelemetry's inContext) and the metrics the outcomes. `lambda/adapters/tracing.ts` is the one
      // place to turn it back on.
      tracing: lambda.Tracing.DISABLED,
      logGroup,
      role,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment,
      bundling: {
        // esbuild from node_modules, never Docker: synth works offline and on machines without a daemon.
        forceDockerBundling: false,
        format: OutputFormat.CJS,
        ...BUNDLING,
        externalModules: [...BUNDLING.externalModules],
      },
    });
  }
}
