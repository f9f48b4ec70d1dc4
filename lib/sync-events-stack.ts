import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { DEFAULT_TEAM } from '../lambda/core/alerts';
import { type AppConfig, runtimeSettings } from '../lambda/core/config';
import { parseDuration } from '../lambda/core/duration';
import { AlertTopics, pascalCase } from './alert-topics';
import { EventsTopic } from './events-topic';
import { SyncTable } from './sync-table';
import { Watchdog } from './watchdog';
import { WebhookIngress } from './webhook-ingress';

export interface SyncEventsStackProps extends StackProps {
  /** The validated app config, read and parsed in `bin/app.ts`. */
  readonly config: AppConfig;
}

/** Output keys the CLI reads from a deployed stack (`--stack NAME`): renaming one breaks it. */
export const STACK_OUTPUTS = {
  webhookUrl: 'WebhookUrl',
  apiUrl: 'ApiUrl',
  tableName: 'TableName',
  secretArn: 'SecretArn',
  eventsTopicArn: 'EventsTopicArn',
} as const;

/** The output key of a team's alert topic ARN: `platform` -> `AlertTopicArnPlatform`, `default` -> `AlertTopicArnDefault`. */
export function alertTopicOutput(team: string): string {
  return `AlertTopicArn${pascalCase(team)}`;
}

/**
 * Composes the stateful resources (table, topics) and the stateless ones (ingress, watchdog); no resources
 * are defined here directly.
 */
export class SyncEventsStack extends Stack {
  public readonly syncTable: SyncTable;
  public readonly alertTopics: AlertTopics;
  public readonly eventsTopic: EventsTopic;
  public readonly ingress: WebhookIngress;
  public readonly watchdog: Watchdog;

  constructor(scope: Construct, id: string, props: SyncEventsStackProps) {
    super(scope, id, props);
    const { config } = props;
    const settings = runtimeSettings(config);

    this.syncTable = new SyncTable(this, 'SyncTable');
    this.alertTopics = new AlertTopics(this, 'AlertTopics', { teams: config.alerts });
    // One key for all topics: a customer-managed key costs per month, and the same functions publish on both.
    this.eventsTopic = new EventsTopic(this, 'EventsTopic', { masterKey: this.alertTopics.key });
    this.ingress = new WebhookIngress(this, 'Ingress', {
      table: this.syncTable.table,
      settings,
      eventsTopic: this.eventsTopic.topic,
      alertTopics: this.alertTopics,
    });
    this.watchdog = new Watchdog(this, 'Watchdog', {
      table: this.syncTable.table,
      settings,
      eventsTopic: this.eventsTopic.topic,
      alertTopics: this.alertTopics,
      // The config schema has already proven the duration parses.
      every: Duration.seconds(parseDuration(config.watchdog.every) as number),
    });

    new CfnOutput(this, STACK_OUTPUTS.webhookUrl, {
      value: this.ingress.webhookUrl,
      description: 'Register this URL as the Airweave webhook endpoint',
    });
    new CfnOutput(this, STACK_OUTPUTS.apiUrl, {
      value: this.ingress.api.apiEndpoint,
      description: 'Base URL of the IAM-authorized freshness API',
    });
    new CfnOutput(this, STACK_OUTPUTS.tableName, { value: this.syncTable.table.tableName });
    new CfnOutput(this, STACK_OUTPUTS.secretArn, {
      value: this.ingress.secret.secretArn,
      description: 'Put the Airweave whsec_... signing secret here',
    });
    new CfnOutput(this, STACK_OUTPUTS.eventsTopicArn, {
      value: this.eventsTopic.topic.topicArn,
      description: 'Subscribe caches here with a filter policy on event_type, collection, source_type',
    });
    for (const [team, topic] of Object.entries(this.alertTopics.topics)) {
      new CfnOutput(this, alertTopicOutput(team), {
        value: topic.topicArn,
        description:
          team === DEFAULT_TEAM
            ? 'Alert topic for failures that match no team'
            : `Alert topic of team ${team}: subscribe chat or paging endpoints here`,
      });
    }
  }
}
