import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { RuntimeSettings } from '../lambda/core/config';
import { QUERY_ROUTES, ROUTES } from '../lambda/core/stack-contract';
import { ENV, keys } from '../lambda/core/table-schema';
import type { AlertTopics } from './alert-topics';
import { SyncFunction } from './sync-function';
import { indexWildcardFinding } from './sync-table';

/**
 * Memory of the two functions someone waits on (the sender for its answer, a reader for freshness). Lambda
 * gives CPU in proportion to memory, and their time is mostly CPU (the SDK's work per call): with the CPU
 * share enforced, a plain delivery's p50 is about a fifth of its time at 256 MB (12-14 ms against about 60
 * ms), for the same compute cost per event, since the shorter duration pays for the larger size
 * (BENCHMARKS.md, "Webhook memory size"). Above it, 1,769 MB (a whole vCPU) buys little at the p50 for
 * about 15% more.
 */
const REQUEST_PATH_MEMORY_MB = 1024;

export interface WebhookIngressProps {
  /** The sync table: the webhook writes to it, the query function reads it. */
  readonly table: dynamodb.ITable;
  /** The runtime part of the app config, handed to both functions as one JSON environment variable. */
  readonly settings: RuntimeSettings;
  /** The webhook publishes every lifecycle event here. */
  readonly eventsTopic: sns.ITopic;
  /** The webhook publishes `sync.failed` alerts on the topics of the teams whose route matches. */
  readonly alertTopics: AlertTopics;
  /**
   * The state machine of each chained pipeline, by pipeline name: the webhook's gate starts them.
   * @default - no pipelines
   */
  readonly pipelines?: Readonly<Record<string, sfn.IStateMachine>>;
  /**
   * Steady-state request rate limit of the API, per second. Sync events arrive a few a minute; the limit
   * caps what a flood of forged requests can cost before the signature check rejects them.
   * @default 50
   */
  readonly throttleRateLimit?: number;
  /**
   * Burst limit of the API (requests served at once before throttling). Svix retries a 429 later.
   * @default 100
   */
  readonly throttleBurstLimit?: number;
  /**
   * Retention of the function and access logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The HTTP front door: `POST`/`HEAD /webhooks/airweave` for Svix (no API Gateway auth, the Lambda verifies
 * the Svix HMAC signature on the raw body) and the IAM-authorized read API (`GET /freshness`,
 * `GET /freshness/{collection_readable_id}`, `GET /pipelines`), each backed by its own function so the
 * public route's role can write and get single items but never scan or delete
 * (with pipelines, it may also query a collection's partition for the gate), and the read route's role can
 * read but never write. The webhook also publishes on the events topic and the alert topics, and starts the
 * pipelines' state machines.
 */
export class WebhookIngress extends Construct {
  public readonly api: apigwv2.HttpApi;
  /** The URL to register as the Svix endpoint in Airweave. */
  public readonly webhookUrl: string;
  /** Holds the Airweave `whsec_...` signing secret (comma-separated old and new during a rotation). */
  public readonly secret: secretsmanager.Secret;
  public readonly webhookFunction: SyncFunction;
  public readonly queryFunction: SyncFunction;

  constructor(scope: Construct, id: string, props: WebhookIngressProps) {
    super(scope, id);
    const lambdaDir = path.join(__dirname, '..', 'lambda');
    const settings = JSON.stringify(props.settings);
    const pipelines = Object.entries(props.pipelines ?? {});

    this.secret = new secretsmanager.Secret(this, 'SigningSecret', {
      description: 'Airweave webhook signing secret (whsec_...); set it after deploy, see README',
      // A random placeholder that is a valid key, so until the real secret is set every delivery is
      // rejected with 401 (Svix keeps retrying) instead of failing the function at cold start.
      generateSecretString: { passwordLength: 32, excludePunctuation: true, includeSpace: false },
      // The value was set by hand from Airweave; deleting the stack must not lose it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The signing secret is issued by Airweave (Svix) and rotated there; Secrets Manager cannot rotate it. ' +
        'During a rotation the value holds the old and new secret side by side.',
    });

    this.webhookFunction = new SyncFunction(this, 'WebhookFunction', {
      entry: path.join(lambdaDir, 'webhook', 'handler.ts'),
      description: 'Verifies and records Airweave sync webhooks delivered by Svix',
      memorySize: REQUEST_PATH_MEMORY_MB,
      // Svix waits about 15 s for an answer; failing sooner lets it retry instead of timing out.
      timeout: Duration.seconds(10),
      logRetention: props.logRetention,
      environment: {
        [ENV.tableName]: props.table.tableName,
        [ENV.secretArn]: this.secret.secretArn,
        [ENV.settings]: settings,
        [ENV.eventsTopicArn]: props.eventsTopic.topicArn,
        [ENV.alertTopicArns]: props.alertTopics.topicArnsJson(),
        // Always set (`{}` without pipelines): the handler reads it at cold start.
        [ENV.pipelineStateMachineArns]: Stack.of(this).toJsonString(
          Object.fromEntries(pipelines.map(([name, machine]) => [name, machine.stateMachineArn])),
        ),
      },
    });
    // The webhook does conditional PutItem/UpdateItem, and one consistent GetItem of a source's freshness
    // for an alert body (and of a pipeline's gate); without BatchWriteItem and Scan the public-facing
    // function can neither bulk-erase nor list the table.
    props.table.grant(this.webhookFunction, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    // DeleteItem only on job partitions (`JOB#...`): a delivery refused for good after its audit event
    // landed takes that event back before it is quarantined (docs/DESIGN.md, all or nothing). Freshness,
    // quarantine and pipeline items stay out of its reach.
    iam.Grant.addToPrincipal({
      grantee: this.webhookFunction,
      actions: ['dynamodb:DeleteItem'],
      resourceArns: [props.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${keys.job('').pk}*`] } },
    });
    // Query of one partition of the base table: the gate reads a collection's freshness items, and
    // `collection.deleted` retires each source of the collection. Only on the table's ARN: a table grant
    // would add its indexes, whose FRESHNESS partition lists every source.
    iam.Grant.addToPrincipal({
      grantee: this.webhookFunction,
      actions: ['dynamodb:Query'],
      resourceArns: [props.table.tableArn],
    });
    for (const [, machine] of pipelines) machine.grantStartExecution(this.webhookFunction);
    this.secret.grantRead(this.webhookFunction);
    props.eventsTopic.grantPublish(this.webhookFunction);
    props.alertTopics.grantPublish(this.webhookFunction);

    this.queryFunction = new SyncFunction(this, 'QueryFunction', {
      entry: path.join(lambdaDir, 'query', 'handler.ts'),
      description: 'Serves the IAM-authorized freshness and pipelines read API',
      memorySize: REQUEST_PATH_MEMORY_MB,
      logRetention: props.logRetention,
      environment: {
        [ENV.tableName]: props.table.tableName,
        [ENV.settings]: settings,
      },
    });
    props.table.grantReadData(this.queryFunction);

    Validations.of(this.webhookFunction.role!).acknowledge({
      id: indexWildcardFinding(props.table),
      reason:
        'Table grants always name the table indexes too; GetItem, PutItem and UpdateItem have no effect on an ' +
        'index (Query, which would, is granted on the table ARN only).',
    });
    Validations.of(this.webhookFunction.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to a KMS-encrypted SNS topic needs GenerateDataKey (the SNS grant names the action family); ' +
        'it is granted on the topics key only.',
    });
    Validations.of(this.queryFunction.role!).acknowledge({
      id: indexWildcardFinding(props.table),
      reason: 'The read API queries both GSIs of the sync table (freshness of every source, source history).',
    });

    this.api = new apigwv2.HttpApi(this, 'Api', {
      description: 'Airweave sync events: Svix webhook and freshness API',
      // The default stage is added below with throttling and access logs, which HttpApi's own cannot take.
      createDefaultStage: false,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRateLimit ?? 50, burstLimit: props.throttleBurstLimit ?? 100 },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        // HTTP API context variables only; no headers or body, so a signature or payload is never logged.
        format: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            iamCaller: '$context.identity.caller',
          }),
        ),
      },
    });

    const webhookIntegration = new HttpLambdaIntegration('WebhookIntegration', this.webhookFunction);
    const webhookRoutes = this.api.addRoutes({
      path: ROUTES.webhook,
      methods: [apigwv2.HttpMethod.POST, apigwv2.HttpMethod.HEAD],
      integration: webhookIntegration,
    });
    for (const route of webhookRoutes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Svix cannot sign AWS requests, so the webhook route is open at API Gateway; the function verifies ' +
          'the Svix HMAC signature and timestamp on the raw body and answers 401 before writing anything.',
      });
    }

    const queryIntegration = new HttpLambdaIntegration('QueryIntegration', this.queryFunction);
    const authorizer = new HttpIamAuthorizer();
    // Every read route of the query function (lambda/query/app.ts), each behind the IAM authorizer.
    for (const routePath of QUERY_ROUTES) {
      this.api.addRoutes({
        path: routePath,
        methods: [apigwv2.HttpMethod.GET],
        integration: queryIntegration,
        authorizer,
      });
    }

    this.webhookUrl = `${this.api.apiEndpoint}${ROUTES.webhook}`;
  }
}
