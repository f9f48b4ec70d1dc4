/**
 * The stack's outward names, in one module free of CDK imports so that the CLI, local mode and the
 * functions read them without loading aws-cdk-lib: the HTTP routes the API serves (deployed and local) and
 * the CloudFormation output keys the CLI reads from a deployed stack (`--stack NAME`). Renaming one breaks
 * every client of that name (docs/DESIGN.md section 6), so each is written here once.
 */

/** The API's routes: the webhook for Svix, and the IAM-authorized reads of the query function. */
export const ROUTES = {
  /** `POST` a delivery, `HEAD` Airweave's check of a new subscription. */
  webhook: '/webhooks/airweave',
  freshness: '/freshness',
  collectionFreshness: '/freshness/{collection_readable_id}',
  pipelines: '/pipelines',
} as const;

/** The routes the query function serves, as API Gateway declares them. */
export const QUERY_ROUTES = [ROUTES.freshness, ROUTES.collectionFreshness, ROUTES.pipelines] as const;

/** True for a request path the query function answers (local mode and the board route by it). */
export function isQueryPath(path: string): boolean {
  return path === ROUTES.freshness || path.startsWith(`${ROUTES.freshness}/`) || path === ROUTES.pipelines;
}

/** Output keys the CLI reads from a deployed stack (`--stack NAME`): renaming one breaks it. */
export const STACK_OUTPUTS = {
  webhookUrl: 'WebhookUrl',
  apiUrl: 'ApiUrl',
  tableName: 'TableName',
  secretArn: 'SecretArn',
  eventsTopicArn: 'EventsTopicArn',
  /** JSON object: alert team name (and `default`) to its topic's ARN, e.g. for `replay`. */
  alertTopicArns: 'AlertTopicArns',
  /** JSON object: pipeline name to its state machine's ARN (`{}` without pipelines). */
  pipelineStateMachineArns: 'PipelineStateMachineArns',
  /** The topic the CloudWatch alarms notify; subscribe paging or chat endpoints here. */
  operationsTopicArn: 'OperationsTopicArn',
  /** Put Airweave's API key here to turn reconciliation on. */
  airweaveApiKeySecretArn: 'AirweaveApiKeySecretArn',
} as const;

/** A deployed stack's outputs by key, as `DescribeStacks` lists them. */
export type StackOutputs = Readonly<
  Partial<Record<(typeof STACK_OUTPUTS)[keyof typeof STACK_OUTPUTS], string>>
>;

/** `error-analysis` -> `ErrorAnalysis`: construct ids and output keys derived from config names. */
export function pascalCase(name: string): string {
  return name
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

/** The output key of a team's alert topic ARN: `platform` -> `AlertTopicArnPlatform`, `default` -> `AlertTopicArnDefault`. */
export function alertTopicOutput(team: string): string {
  return `AlertTopicArn${pascalCase(team)}`;
}
