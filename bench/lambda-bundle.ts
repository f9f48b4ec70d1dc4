import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { App } from 'aws-cdk-lib';
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readConfigFile } from '../bin/config-file';
import { createTableInput } from '../lambda/adapters/table-definition';
import { SyncEventsStack } from '../lib/sync-events-stack';
import { localDynamoClient, scanTable, startEngineProcess } from '../local/engine';
import {
  jsonTarget,
  lambdaInvokeStandIn,
  queryAction,
  secretsManagerStandIn,
  serveStandIn,
  sfnStandIn,
  snsStandIn,
  type StandInServer,
} from './aws-stand-in';
import { NO_ROUTE, type Route, route, routeRequest } from './api-gateway';
import type { BadInputTarget, SuiteResponse } from './bad-input';

const ROOT = path.join(__dirname, '..');
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
type Template = { Resources: Record<string, CfnResource> };

/** The cloud assembly of one synth of the app with its default config, read back from disk as a deploy reads it. */
export interface Assembly {
  readonly outdir: string;
  readonly template: Template;
  /** Asset hash to its directory. */
  readonly assets: ReadonlyMap<string, string>;
  cleanup(): void;
}

/** Synthesizes the stack into a temporary `cdk.out`; esbuild bundles every function (the slow part). */
export function synthesize(): Assembly {
  const outdir = mkdtempSync(path.join(tmpdir(), 'sync-events-bundle-'));
  const app = new App({ outdir });
  const stack = new SyncEventsStack(app, 'BadInput', {
    config: readConfigFile(path.join(ROOT, 'config', 'default.json')),
  });
  app.synth();
  const read = (file: string) => JSON.parse(readFileSync(path.join(outdir, file), 'utf8')) as unknown;
  const manifest = read(`${stack.artifactId}.assets.json`) as {
    files: Record<string, { source: { path: string } }>;
  };
  return {
    outdir,
    template: read(`${stack.artifactId}.template.json`) as Template,
    assets: new Map(
      Object.entries(manifest.files).map(([hash, f]) => [hash, path.join(outdir, f.source.path)]),
    ),
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/**
 * What a `Ref` gives for a resource once deployed, as the stand-ins know it: a table's or function's
 * name, a topic's, secret's or state machine's ARN.
 */
function refValue(template: Template, logicalId: string, names: Map<string, string>): string {
  const type = template.Resources[logicalId]?.Type;
  const name = names.get(logicalId) ?? `${logicalId.toLowerCase()}-stand-in`;
  switch (type) {
    case 'AWS::DynamoDB::Table':
    case 'AWS::Lambda::Function':
      return name;
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
    default:
      throw new Error(`no stand-in value for a Ref to ${logicalId} (${type})`);
  }
}

/** A template value resolved as CloudFormation would, with the stand-ins' names for the resources it refers to. */
function resolve(template: Template, value: unknown, names: Map<string, string>): string {
  if (typeof value === 'string') return value;
  const { Ref: ref, 'Fn::Join': join } = value as { Ref?: string; 'Fn::Join'?: [string, unknown[]] };
  if (ref !== undefined) return refValue(template, ref, names);
  if (join) return join[1].map((part) => resolve(template, part, names)).join(join[0]);
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

interface FunctionRoute extends Route {
  readonly functionId: string;
}

/** The HTTP API's routes, each with the function its Lambda proxy integration invokes. */
function apiRoutes(template: Template): FunctionRoute[] {
  const resources = Object.entries(template.Resources);
  return resources
    .filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route')
    .flatMap(([, r]) => {
      const target = JSON.stringify(r.Properties?.Target ?? '');
      const integration = resources.find(
        ([id, i]) => i.Type === 'AWS::ApiGatewayV2::Integration' && target.includes(`"${id}"`),
      )?.[1];
      const uri = integration?.Properties?.IntegrationUri as { 'Fn::GetAtt'?: [string, string] } | undefined;
      const functionId = uri?.['Fn::GetAtt']?.[0];
      return functionId ? [{ ...route(String(r.Properties?.RouteKey)), functionId }] : [];
    });
}

/** One function's process, loaded from its asset as the runtime loads it, serving invocations one by one. */
export class BundledFunction {
  private readonly pending = new Map<string, (reply: { result?: unknown; error?: unknown }) => void>();
  private readonly output: string[] = [];
  private constructor(
    private readonly child: ChildProcess,
    private readonly timeoutMs: number,
  ) {
    child.on('message', (message: { id?: string; result?: unknown; error?: unknown }) => {
      if (message.id) this.pending.get(message.id)?.(message);
    });
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString('utf8'));
      if (this.output.length > 200) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(env: Record<string, string>, timeoutMs: number): Promise<BundledFunction> {
    const child = fork(path.join(__dirname, 'lambda-bootstrap.cjs'), [], {
      env,
      // No TypeScript loader or test runner flags: the bundle runs on plain Node.js, as on Lambda.
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const fn = new BundledFunction(child, timeoutMs);
    await new Promise<void>((resolve, reject) => {
      child.once('message', (m: { type?: string; error?: string }) =>
        m.type === 'ready' ? resolve() : reject(new Error(`init failed: ${m.error}`)),
      );
      child.once('exit', (code) => reject(new Error(`exited ${code} at init: ${fn.logs()}`)));
    });
    return fn;
  }

  /** Invokes the handler; a thrown error or a timeout is what API Gateway turns into a 500. */
  invoke(event: unknown): Promise<{ result?: unknown; error?: unknown }> {
    const id = randomUUID();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ error: { errorType: 'Sandbox.Timedout' } });
      }, this.timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(reply);
      });
      this.child.send({ id, event, deadlineMs: Date.now() + this.timeoutMs });
    });
  }

  logs(): string {
    return this.output.join('').slice(-4000);
  }

  stop(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill();
    });
  }
}

/** A proxy integration's answer, as API Gateway maps it for payload format 2.0. */
function proxyResponse(reply: { result?: unknown; error?: unknown }): SuiteResponse {
  if (reply.error !== undefined) return { statusCode: 500, body: '{"message":"Internal Server Error"}' };
  const result = reply.result as { statusCode?: number; body?: string } | string | null;
  if (typeof result === 'object' && result !== null && typeof result.statusCode === 'number')
    return { statusCode: result.statusCode, body: result.body };
  // Without a statusCode API Gateway assumes 200 and sends the value as JSON.
  return { statusCode: 200, body: JSON.stringify(result) };
}

export interface BundledTarget extends BadInputTarget {
  /** Each bundled function's recent output (Powertools log lines), to explain a failure. */
  logs(): string;
  /** Calls the stand-ins served: proof the bundle reached them, not AWS. */
  served(): { published: number; started: number; secretReads: number; invoked: number };
  stop(): Promise<void>;
}

/**
 * A target: the webhook and query assets of a synthesized `cdk.out`, each in its own fresh process with
 * the environment the template gives it, the AWS SDK pointed by `AWS_ENDPOINT_URL_<SERVICE>` at the local
 * engine (DynamoDB) and at loopback STAND-INS for SNS, Step Functions, Secrets Manager and Lambda (none
 * has a local engine here; each enforces its service's documented limits, `bench/aws-stand-in.ts`). The
 * signing secret is stored in the Secrets Manager stand-in under the ARN the stack gives the function.
 */
export async function bundledTarget(assembly: Assembly, secret: string): Promise<BundledTarget> {
  const { template } = assembly;
  const names = new Map<string, string>();
  const tableId = Object.keys(template.Resources).find(
    (id) => template.Resources[id]?.Type === 'AWS::DynamoDB::Table',
  ) as string;
  const tableName = `sync-events-bundle-${process.pid}-${Date.now().toString(36)}`;
  names.set(tableId, tableName);
  const secretArns = Object.keys(template.Resources)
    .filter((id) => template.Resources[id]?.Type === 'AWS::SecretsManager::Secret')
    .map((id) => refValue(template, id, names));
  const functionNames = Object.keys(template.Resources)
    .filter((id) => template.Resources[id]?.Type === 'AWS::Lambda::Function')
    .map((id) => refValue(template, id, names));

  const engine = await startEngineProcess({ host: '127.0.0.1', port: 0 });
  const client = localDynamoClient(engine.endpoint, 3);
  const servers: StandInServer[] = [];
  const functions = new Map<string, BundledFunction>();
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    const sns = snsStandIn();
    const sfn = sfnStandIn();
    // Every secret of the stack holds the signing secret: the function reads the one its environment names.
    const secrets = secretsManagerStandIn(Object.fromEntries(secretArns.map((arn) => [arn, secret])));
    const lambda = lambdaInvokeStandIn(functionNames);
    const [snsServer, sfnServer, secretsServer, lambdaServer] = await Promise.all([
      serveStandIn((r) => sns.answer(queryAction(r.body), r.body)),
      serveStandIn((r) => sfn.answer(jsonTarget(r.headers), r.body)),
      serveStandIn((r) => secrets.answer(jsonTarget(r.headers), r.body)),
      serveStandIn((r) => {
        const name = decodeURIComponent(/\/functions\/([^/]+)\/invocations/.exec(r.url)?.[1] ?? '');
        return lambda.answer(name, r.headers['x-amz-invocation-type'], r.body);
      }),
    ]);
    servers.push(snsServer, sfnServer, secretsServer, lambdaServer);

    const routes = apiRoutes(template);
    for (const functionId of new Set(routes.map((r) => r.functionId))) {
      const props = template.Resources[functionId]?.Properties as {
        Handler: string;
        Code: { S3Key: string };
        Environment?: { Variables?: Record<string, unknown> };
        MemorySize?: number;
        Timeout?: number;
      };
      const asset = assembly.assets.get(props.Code.S3Key.replace(/\.zip$/, ''));
      if (!asset || !readdirSync(asset).includes('index.js')) throw new Error(`no bundle for ${functionId}`);
      const functionName = refValue(template, functionId, names);
      const variables = Object.fromEntries(
        Object.entries(props.Environment?.Variables ?? {}).map(([k, v]) => [k, resolve(template, v, names)]),
      );
      const env: Record<string, string> = {
        ...variables,
        // The runtime's reserved variables.
        _HANDLER: props.Handler,
        LAMBDA_TASK_ROOT: asset,
        LAMBDA_RUNTIME_DIR: path.join(ROOT, 'node_modules'),
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(props.MemorySize ?? 128),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
        AWS_LAMBDA_LOG_STREAM_NAME: `stand-in/[$LATEST]${randomUUID().replace(/-/g, '')}`,
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: REGION,
        AWS_ACCESS_KEY_ID: 'ASIASTANDIN',
        AWS_SECRET_ACCESS_KEY: 'stand-in',
        AWS_SESSION_TOKEN: 'stand-in',
        TZ: ':UTC',
        LANG: 'en_US.UTF-8',
        // The runtime provides the AWS SDK (left out of the bundle) on its NODE_PATH; here, the project's copy.
        NODE_PATH: path.join(ROOT, 'node_modules'),
        AWS_ENDPOINT_URL_DYNAMODB: engine.endpoint,
        AWS_ENDPOINT_URL_SNS: snsServer.endpoint,
        AWS_ENDPOINT_URL_SFN: sfnServer.endpoint,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsServer.endpoint,
        AWS_ENDPOINT_URL_LAMBDA: lambdaServer.endpoint,
      };
      functions.set(functionId, await BundledFunction.start(env, (props.Timeout ?? 3) * 1000));
    }

    return {
      secret,
      async send(request) {
        const routed = routeRequest(routes, request);
        const fn = routed && functions.get(routed.route.functionId);
        return routed && fn ? proxyResponse(await fn.invoke(routed.event)) : NO_ROUTE;
      },
      items: () => scanTable(client, tableName),
      refusedOutbound: () => snsServer.refusals.length + sfnServer.refusals.length,
      logs: () => [...functions.values()].map((f) => f.logs()).join('\n'),
      served: () => ({
        published: sns.published(),
        started: sfn.started(),
        secretReads: secrets.reads(),
        invoked: lambda.invoked(),
      }),
      async stop() {
        await Promise.all([...functions.values()].map((f) => f.stop()));
        await Promise.all(servers.map((s) => s.close()));
        client.destroy();
        await engine.stop();
      },
    };
  } catch (error) {
    await Promise.all([...functions.values()].map((f) => f.stop()));
    await Promise.all(servers.map((s) => s.close()));
    client.destroy();
    await engine.stop();
    throw error;
  }
}
