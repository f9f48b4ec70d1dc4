import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface OperationsTopicProps {
  /**
   * The key encrypting the topic. CloudWatch alarms are allowed `kms:Decrypt` and `kms:GenerateDataKey*` on it
   * (the key policy gains that statement), so it must be a key of this stack, not an imported one.
   */
  readonly masterKey: kms.IKey;
  /**
   * Emails subscribed to the topic (the app config's `operations.emails`).
   * @default - none: subscribe to the topic outside the stack
   */
  readonly emails?: readonly string[];
  /**
   * What happens to the topic when the stack is deleted. Paging and chat endpoints are subscribed outside the
   * stack, so by default it outlives the stack like the alert topics do.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The operations topic: the stack's CloudWatch alarms (errors, 5xx, quarantined deliveries, rejected
 * signatures, failed, timed-out and aborted pipeline runs) notify the people who run the deployment here. It
 * is separate from the alert topics, which tell teams about their syncs; this one says the service itself
 * needs attention.
 *
 * Encrypted with the customer-managed key of the alert topics and TLS-only like them. CloudWatch publishes
 * alarm notifications as the `cloudwatch.amazonaws.com` service, which needs both a topic policy statement
 * and the key's `Decrypt`/`GenerateDataKey*` (the AWS managed `alias/aws/sns` key cannot grant them, which is
 * why alarms on a topic encrypted with it silently never arrive). Both grants are limited to alarms of this
 * account and region, so another account's alarm cannot use the key or the topic (confused deputy).
 */
export class OperationsTopic extends Construct {
  public readonly topic: sns.ITopic;

  constructor(scope: Construct, id: string, props: OperationsTopicProps) {
    super(scope, id);
    const topic = new sns.Topic(this, 'Topic', {
      // The display name is the sender name of alarm emails.
      displayName: 'Airweave sync events: operations',
      masterKey: props.masterKey,
      enforceSSL: true,
    });
    topic.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    for (const email of props.emails ?? []) topic.addSubscription(new EmailSubscription(email));

    const stack = Stack.of(this);
    const alarms = new iam.ServicePrincipal('cloudwatch.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    });
    // sns:Publish in the topic policy (which replaces SNS's default policy once enforceSSL adds one), and
    // kms:Decrypt plus kms:GenerateDataKey* in the key policy: Topic.grantPublish grants both.
    topic.grantPublish(alarms);
    this.topic = topic;
  }
}
