import * as path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { RuntimeSettings } from '../lambda/core/config';
import { ENV } from '../lambda/core/table-schema';
import type { AlertTopics } from './alert-topics';
import { SyncFunction } from './sync-function';
import { indexWildcardFinding } from './sync-table';

export interface WatchdogProps {
  /** The sync table: the watchdog reads every source's freshness and claims alert episodes on it. */
  readonly table: dynamodb.ITable;
  /** The runtime part of the app config (freshness SLAs, alert routes, `stuckAfter`), as JSON in the env. */
  readonly settings: RuntimeSettings;
  /** Its ARN is handed to the function, whose notifier needs one; the watchdog publishes no events on it. */
  readonly eventsTopic: sns.ITopic;
  /** Stale and stuck alerts go to the topics of the teams whose route matches the source. */
  readonly alertTopics: AlertTopics;
  /**
   * How often the watchdog runs: a whole number of minutes (EventBridge rates have minute granularity).
   * @default Duration.minutes(5)
   */
  readonly every?: Duration;
  /**
   * Retention of the function's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Catches the rot no webhook reports (docs/DESIGN.md section 1): on a schedule, a function alerts when a source
 * has not completed within its freshness SLA or a job has been running longer than `stuckAfter`, once per
 * episode (a conditional UpdateItem on the source's freshness item claims the episode, so overlapping or
 * retried runs alert once).
 */
export class Watchdog extends Construct {
  public readonly function: SyncFunction;
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: WatchdogProps) {
    super(scope, id);
    const every = props.every ?? Duration.minutes(5);
    const seconds = every.toSeconds();
    if (seconds < 60 || seconds % 60 !== 0)
      throw new Error(
        `the watchdog period (watchdog.every in the config) must be a whole number of minutes, got ${every.toHumanString()}`,
      );

    this.function = new SyncFunction(this, 'Function', {
      entry: path.join(__dirname, '..', 'lambda', 'watchdog', 'handler.ts'),
      description: 'Alerts on sources past their freshness SLA and on stuck sync jobs',
      // One run reads every freshness item; a minute leaves room for many sources and slow SNS calls.
      timeout: Duration.seconds(60),
      logRetention: props.logRetention,
      environment: {
        [ENV.tableName]: props.table.tableName,
        [ENV.settings]: JSON.stringify(props.settings),
        [ENV.eventsTopicArn]: props.eventsTopic.topicArn,
        [ENV.alertTopicArns]: props.alertTopics.topicArnsJson(),
      },
    });
    // Reads (the GSI of all freshness items) plus UpdateItem for the episode claims; no PutItem or DeleteItem,
    // so the watchdog can mark a freshness item but never create or erase one.
    props.table.grantReadData(this.function);
    props.table.grant(this.function, 'dynamodb:UpdateItem');
    props.alertTopics.grantPublish(this.function);
    const role = this.function.role!;
    Validations.of(role).acknowledge({
      id: indexWildcardFinding(props.table),
      reason:
        'The watchdog queries the freshness GSI of the sync table; UpdateItem has no effect on an index.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to a KMS-encrypted SNS topic needs GenerateDataKey (the SNS grant names the action family); ' +
        'it is granted on the topics key only.',
    });

    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Runs the Airweave sync events freshness watchdog',
      schedule: events.Schedule.rate(every),
      targets: [
        new targets.LambdaFunction(this.function, {
          // These retry the invocation when EventBridge cannot hand the event to Lambda (throttling, service
          // errors); a run older than the period is dropped, since the next scheduled run supersedes it.
          // Errors inside a run are retried by Lambda's asynchronous invocation, and every run is idempotent.
          retryAttempts: 2,
          maxEventAge: Duration.seconds(Math.min(seconds, 24 * 3600)),
        }),
      ],
    });
  }
}
