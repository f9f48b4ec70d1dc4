import * as path from 'node:path';
import { Duration, RemovalPolicy, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { API_KEY_PLACEHOLDER } from '../lambda/core/airweave';
import type { RuntimeSettings } from '../lambda/core/config';
import { METRIC, METRICS_NAMESPACE, SERVICE } from '../lambda/core/metrics';
import { ENV } from '../lambda/core/table-schema';
import type { AlertTopics } from './alert-topics';
import { SyncFunction } from './sync-function';
import { indexWildcardFinding } from './sync-table';

export interface ReconcilerProps {
  /** The sync table: the reconciler records events, lists and retires sources on it. */
  readonly table: dynamodb.ITable;
  /** The runtime part of the app config (its `airweave` section, SLAs, routes, pipelines), as JSON in the env. */
  readonly settings: RuntimeSettings;
  /** Recovered events are published here, like a webhook's. */
  readonly eventsTopic: sns.ITopic;
  /** A recovered failure is alerted to its teams, once per job, like a webhook's. */
  readonly alertTopics: AlertTopics;
  /** The "not authorized" notice and the consecutive-failure alarm go here. */
  readonly operationsTopic: sns.ITopic;
  /**
   * The pipelines' state machines by name: a recovered completion may start one through the gate.
   * @default - no pipelines
   */
  readonly stateMachines?: Readonly<Record<string, sfn.IStateMachine>>;
  /**
   * How often a full pass runs (`airweave.reconcile.every`): a whole number of minutes.
   * @default Duration.minutes(15)
   */
  readonly every?: Duration;
  /**
   * Failed runs in a row (429/5xx, 401/403, or sources that could not be checked) before the alarm fires.
   * @default 2
   */
  readonly failedRunsToAlarm?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Closes the gap webhooks leave (lost deliveries, jobs Airweave cleans up without an event): on a schedule, a
 * function reads Airweave's API (every collection, source connection and its latest jobs) and records each
 * job state the table lacks through the webhook's own idempotent path. The webhook also invokes it
 * asynchronously for one source on suspicion.
 *
 * The API key lives in a secret created with a placeholder: until a real key is put there the function logs
 * "not configured" and does nothing (README: "Set the Airweave API key").
 */
export class Reconciler extends Construct {
  public readonly function: SyncFunction;
  public readonly rule: events.Rule;
  /** Holds Airweave's API key. */
  public readonly secret: secretsmanager.Secret;
  /** Fires when reconciliation failed on consecutive runs. */
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    const every = props.every ?? Duration.minutes(15);
    const seconds = every.toSeconds();
    if (seconds < 60 || seconds % 60 !== 0)
      throw new Error(
        `the reconciliation period (airweave.reconcile.every in the config) must be a whole number of minutes, got ${every.toHumanString()}`,
      );
    const machines = Object.values(props.stateMachines ?? {});

    this.secret = new secretsmanager.Secret(this, 'ApiKey', {
      description: 'Airweave API key for sync reconciliation (x-api-key); set it after deploy, see README',
      // A known placeholder, not a generated value: the function tells "not configured" from a wrong key
      // (which Airweave would refuse with 401 on every run).
      secretStringValue: SecretValue.unsafePlainText(API_KEY_PLACEHOLDER),
      // The value was set by hand from Airweave; deleting the stack must not lose it.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The API key is issued in Airweave and rotated there (a new key, then the old one deleted); Secrets ' +
        'Manager cannot rotate it.',
    });

    this.function = new SyncFunction(this, 'Function', {
      entry: path.join(__dirname, '..', 'lambda', 'reconcile', 'handler.ts'),
      description: "Reconciles sync job states with Airweave's API (lost webhooks, unlisted sources)",
      // One pass reads every source's jobs in turn (one API call each, plus a batch read and the writes of what
      // was missing): 5 minutes holds hundreds of sources at Airweave's usual latency.
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      environment: {
        [ENV.tableName]: props.table.tableName,
        [ENV.settings]: JSON.stringify(props.settings),
        [ENV.eventsTopicArn]: props.eventsTopic.topicArn,
        [ENV.alertTopicArns]: props.alertTopics.topicArnsJson(),
        [ENV.operationsTopicArn]: props.operationsTopic.topicArn,
        [ENV.airweaveKeySecretArn]: this.secret.secretArn,
        [ENV.pipelineStateMachineArns]: Stack.of(this).toJsonString(
          Object.fromEntries(
            Object.entries(props.stateMachines ?? {}).map(([name, machine]) => [
              name,
              machine.stateMachineArn,
            ]),
          ),
        ),
      },
    });
    // The webhook's writes (conditional PutItem/UpdateItem), its reads (GetItem, Query of a collection and of
    // a source's jobs on the index), and BatchGetItem for the audit items a source's latest jobs have.
    // No DeleteItem on events: only the operations notice item is deleted, which needs DeleteItem.
    props.table.grant(
      this.function,
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    );
    this.secret.grantRead(this.function);
    props.eventsTopic.grantPublish(this.function);
    props.alertTopics.grantPublish(this.function);
    props.operationsTopic.grantPublish(this.function);
    for (const machine of machines) machine.grantStartExecution(this.function);
    const role = this.function.role!;
    Validations.of(role).acknowledge({
      id: indexWildcardFinding(props.table),
      reason:
        "The reconciler queries the sync table's GSI1 for a source's jobs (its previous job); the writes have " +
        'no effect on an index.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to a KMS-encrypted SNS topic needs GenerateDataKey (the SNS grant names the action family); ' +
        'it is granted on the topics key only.',
    });

    this.rule = new events.Rule(this, 'Schedule', {
      description: "Reconciles Airweave sync job states with Airweave's API",
      schedule: events.Schedule.rate(every),
      targets: [
        new targets.LambdaFunction(this.function, {
          // A run never throws for what Airweave answers (it backs off to the next run); these retries only
          // cover EventBridge failing to hand the event to Lambda. A run older than the period is superseded.
          retryAttempts: 2,
          maxEventAge: Duration.seconds(Math.min(seconds, 24 * 3600)),
        }),
      ],
    });

    // One data point per run (1 failed, 0 ok), so consecutive periods of one run each are consecutive runs.
    this.alarm = new cloudwatch.Alarm(this, 'FailedRunsAlarm', {
      metric: new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: METRIC.reconcileFailedRuns,
        dimensionsMap: { service: SERVICE.reconcile },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: every,
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: props.failedRunsToAlarm ?? 2,
      datapointsToAlarm: props.failedRunsToAlarm ?? 2,
      // No data is no run (or reconciliation off): the function's own error alarm covers a crash.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        "Sync reconciliation with Airweave's API failed on consecutive runs (rate limited, Airweave down, the " +
        'API key refused, or sources that could not be checked): lost webhooks are not being recovered. Check ' +
        'the reconcile function logs and `npx sync-events reconcile --dry-run`.',
    });
    this.alarm.addAlarmAction(new SnsAction(props.operationsTopic));
  }
}
