import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoSourceRegistry } from '../lambda/adapters/dynamo-source-registry';
import { dynamoStores } from '../lambda/adapters/store';
import { readConfigFile } from '../bin/config-file';
import { type AppConfig, ConfigError } from '../lambda/core/config';
import type { ReadModels, Stores } from '../lambda/core/ports';
import type { SourceRegistry } from '../lambda/core/reconcile';
import { splitSecrets } from '../lambda/core/signature';
import { ROUTES, STACK_OUTPUTS } from '../lambda/core/stack-contract';
import { DEFAULT_CONFIG_PATH, fromProjectRoot, LOCAL, localDataDir } from '../local/defaults';
import { localDynamoClient } from '../local/engine';
import { CliError, explain, UsageError } from './errors';

export interface TargetOptions {
  readonly local?: boolean;
  readonly stack?: string;
  readonly endpoint?: string;
  readonly config?: string;
  readonly aws?: AwsOptions;
}

/** `--region` and `--profile`; unset, the AWS SDK's usual environment and shared config decide. */
export interface AwsOptions {
  readonly region?: string;
  readonly profile?: string;
}

/**
 * The AWS clients' settings: `--region`, else AWS_REGION, else AWS_DEFAULT_REGION (which the AWS CLI
 * honours and the JavaScript SDK does not), else the profile's region; `--profile`, else AWS_PROFILE.
 */
export function awsClientConfig(
  options: AwsOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): { region?: string; profile?: string } {
  const region = options.region || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  return {
    ...(region && { region }),
    ...(options.profile && { profile: options.profile }),
  };
}

/** Where a command works: the local stack's engine, or a deployed stack's table (found by its outputs). */
export interface Target {
  readonly kind: 'local' | 'stack';
  /** For messages: "the local stack (http://127.0.0.1:8000)" or "stack AirweaveSyncEvents". */
  readonly name: string;
  /** The reads the inspecting commands use. */
  readonly store: ReadModels;
  /** Every port, for commands that write (`replay`). */
  readonly stores: Stores;
  readonly webhookUrl: string;
  readonly outputs: Readonly<Record<string, string>>;
  readonly dataDir: string;
  readonly config: AppConfig;
  /** The DynamoDB client behind `store`. */
  readonly client: DynamoDBClient;
  /** The source registry on the same table: the source lifecycle events and reconciliation write through it. */
  readonly registry: SourceRegistry;
  /** `--region` / `--profile` for every other AWS client a command creates (SNS, Step Functions, Secrets Manager). */
  readonly aws: ReturnType<typeof awsClientConfig>;
  close(): void;
}

export const dataDir = () => localDataDir();

function envPort(name: string, fallback: number): number {
  const value = Number(process.env[name] || fallback);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`${name} must be a port number`);
  return value;
}

export function localWebhookUrl(): string {
  return `http://${LOCAL.host}:${envPort('PORT', LOCAL.port)}${ROUTES.webhook}`;
}

/**
 * The app config: freshness SLAs and alert routing decide statuses. A `--config` path is the user's,
 * typed in their shell, so it is relative to the current directory; SYNC_EVENTS_CONFIG is the project's
 * setting, relative to its folder, as `npm start` and the CDK app read it.
 */
export function configPath(file?: string): string {
  if (file) return path.resolve(file);
  return process.env.SYNC_EVENTS_CONFIG
    ? fromProjectRoot(process.env.SYNC_EVENTS_CONFIG)
    : DEFAULT_CONFIG_PATH;
}

export function loadConfig(file?: string): AppConfig {
  try {
    return readConfigFile(configPath(file));
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

export async function stackOutputs(stackName: string, aws: AwsOptions = {}): Promise<Record<string, string>> {
  // Loaded here: a local command has no use for CloudFormation, and loading it costs a start.
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cloudformation = new CloudFormationClient(awsClientConfig(aws));
  try {
    const out = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    if (!stack) throw new CliError(`stack ${stackName} not found`);
    return Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (error) {
    if ((error as Error).name === 'ValidationError')
      throw new CliError(
        `stack ${stackName} not found in region ${await cloudformation.config.region()}: deploy it (npm run deploy) or pass --region`,
      );
    throw explain(error, `reading stack ${stackName}`);
  } finally {
    cloudformation.destroy();
  }
}

export async function resolveTarget(options: TargetOptions): Promise<Target> {
  if (options.local && options.stack) throw new UsageError('use either --local or --stack NAME, not both');
  if (!options.local && !options.stack) throw new UsageError('say where to look: --local or --stack NAME');
  const config = loadConfig(options.config);
  if (options.local) {
    const endpoint =
      options.endpoint ?? `http://${LOCAL.host}:${envPort('DYNAMODB_PORT', LOCAL.dynamodbPort)}`;
    // One attempt: a stopped local stack should say so at once, not after the SDK's retries.
    const client = localDynamoClient(endpoint, 1);
    const stores = dynamoStores(client, { tableName: LOCAL.tableName, retentionDays: config.retentionDays });
    return {
      kind: 'local',
      name: `the local stack (${endpoint})`,
      store: stores.reads,
      stores,
      webhookUrl: localWebhookUrl(),
      outputs: {},
      dataDir: dataDir(),
      config,
      client,
      registry: new DynamoSourceRegistry(client, LOCAL.tableName),
      aws: awsClientConfig(options.aws),
      close: () => client.destroy(),
    };
  }
  const stack = options.stack as string;
  const outputs = await stackOutputs(stack, options.aws);
  const tableName = outputs[STACK_OUTPUTS.tableName];
  if (!tableName)
    throw new CliError(
      `stack ${stack} has no ${STACK_OUTPUTS.tableName} output: is it an airweave-sync-events stack?`,
    );
  const client = new DynamoDBClient(awsClientConfig(options.aws));
  const stores = dynamoStores(client, { tableName, retentionDays: config.retentionDays });
  return {
    kind: 'stack',
    name: `stack ${stack}`,
    store: stores.reads,
    stores,
    webhookUrl: outputs[STACK_OUTPUTS.webhookUrl] ?? '',
    outputs,
    dataDir: dataDir(),
    config,
    client,
    registry: new DynamoSourceRegistry(client, tableName),
    aws: awsClientConfig(options.aws),
    close: () => client.destroy(),
  };
}

/** The signing secret for `send`: --secret, else AIRWEAVE_WEBHOOK_SECRET, else the local stack's own. */
export function signingSecret(explicit: string | undefined, local: boolean): string {
  const candidates = [explicit, splitSecrets(process.env.AIRWEAVE_WEBHOOK_SECRET ?? '')[0]];
  if (local) {
    const file = path.join(dataDir(), LOCAL.secretFile);
    if (existsSync(file)) candidates.push(splitSecrets(readFileSync(file, 'utf8'))[0]);
  }
  const secret = candidates.find((c) => c !== undefined && c !== '');
  if (!secret)
    throw new CliError(
      local
        ? 'no signing secret: start the local stack once (npm start) or pass --secret / AIRWEAVE_WEBHOOK_SECRET'
        : 'no signing secret: pass --secret or set AIRWEAVE_WEBHOOK_SECRET',
    );
  return secret;
}
