import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { DEFAULT_TEAM } from '../lambda/core/alerts';
import type { AlertRoute } from '../lambda/core/config';
import { pascalCase } from '../lambda/core/stack-contract';

export interface AlertTopicsProps {
  /**
   * The alert teams of the app config; each gets its own topic, with its `emails` subscribed. The routing
   * (`match`) is applied by the functions, which receive it in their runtime settings.
   */
  readonly teams: readonly Pick<AlertRoute, 'team' | 'emails'>[];
  /**
   * Emails subscribed to the default topic, which receives failures that match no team.
   * @default - none: subscribe to the default topic outside the stack
   */
  readonly defaultEmails?: readonly string[];
  /**
   * What happens to the topics when the stack is deleted. Subscribers (queues, chat and paging endpoints)
   * are registered on the topics, so by default they outlive the stack like the table does.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * One SNS alert topic per team of the app config plus the `default` topic for failures that match no team
 * (docs/DESIGN.md section 6). Teams subscribe email here (from the config) and chat or paging endpoints outside
 * the stack.
 *
 * Alert bodies name collections, sources and error messages, so the topics are encrypted with one
 * customer-managed key (rotated yearly) instead of the AWS managed `alias/aws/sns` key, whose key policy
 * cannot be extended if a publisher in another account or service ever needs it. Every topic's policy
 * denies requests that do not use TLS.
 */
export class AlertTopics extends Construct {
  /** The alert topic of each team, by team name, including `default`. */
  public readonly topics: Readonly<Record<string, sns.ITopic>>;
  /** The key encrypting every alert topic; publishers need `kms:GenerateDataKey*` and `kms:Decrypt` on it. */
  public readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: AlertTopicsProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = new kms.Key(this, 'Key', {
      description: 'Encrypts the Airweave sync events SNS topics (alerts and lifecycle events)',
      enableKeyRotation: true,
      // Deleting the key would make every message still in flight, and any retained topic, unreadable.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const teams = [...props.teams, { team: DEFAULT_TEAM, emails: props.defaultEmails ?? [] }];
    const topics: Record<string, sns.ITopic> = {};
    const constructIds = new Map<string, string>();
    for (const { team, emails } of teams) {
      // The id derives from the team name, so it (and the topic's logical id) stays put when teams are
      // added, removed or reordered; a changed id would replace the topic and drop its subscriptions.
      const topicId = `${pascalCase(team)}Topic`;
      const clash = constructIds.get(topicId);
      if (clash !== undefined)
        throw new Error(
          `alert teams "${clash}" and "${team}" would share the topic id "${topicId}"; rename one`,
        );
      constructIds.set(topicId, team);
      const topic = new sns.Topic(this, topicId, {
        // The display name is the sender name of alert emails.
        displayName: `Airweave sync alerts: ${team}`,
        masterKey: this.key,
        enforceSSL: true,
      });
      topic.applyRemovalPolicy(removalPolicy);
      for (const email of emails) topic.addSubscription(new EmailSubscription(email));
      topics[team] = topic;
    }
    this.topics = topics;
  }

  /** Publish on every alert topic, with the key use SNS encryption requires of a publisher. */
  public grantPublish(grantee: iam.IGrantable): void {
    // Topic.grantPublish adds kms:Decrypt and kms:GenerateDataKey* on the topic's key.
    for (const topic of Object.values(this.topics)) topic.grantPublish(grantee);
  }

  /**
   * The value of the functions' `ALERT_TOPIC_ARNS` variable: a JSON object from team name (and `default`)
   * to topic ARN, resolved by CloudFormation at deploy time.
   */
  public topicArnsJson(): string {
    return Stack.of(this).toJsonString(
      Object.fromEntries(Object.entries(this.topics).map(([team, topic]) => [team, topic.topicArn])),
    );
  }
}
