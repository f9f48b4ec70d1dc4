import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface EventsTopicProps {
  /**
   * The key encrypting the topic.
   * @default - a new customer-managed key with yearly rotation
   */
  readonly masterKey?: kms.IKey;
  /**
   * What happens to the topic when the stack is deleted. Caches subscribe to it from outside the stack,
   * so by default it outlives the stack like the table does.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The events topic: the webhook publishes every verified sync-lifecycle event on it, normalized (the JSON
 * of `SyncEvent`, snake_case keys), at least once (a redelivered webhook publishes again), with these string
 * message attributes:
 *
 * - `event_type`: one of `LIFECYCLE_EVENT_TYPES` (`lambda/core/job-state.ts`), e.g. `sync.completed`
 * - `collection`: the collection's readable id
 * - `source_type`: `github`, `linear`, `slack`, ...
 * - `source_connection_id`
 * - `event_id`: `<sync_job_id>:<event_type>`, the same on a re-publication, to drop duplicates
 *
 * An attribute the payload lacks has the value `none` (SNS refuses empty values).
 *
 * The stack adds no subscriptions: each consumer subscribes its own queue or function with a filter policy,
 * so it is only invoked for the events it acts on. A cache of one collection, invalidated when a sync of it
 * completes:
 *
 * ```ts
 * eventsTopic.addSubscription(new subs.SqsSubscription(cacheQueue, {
 *   rawMessageDelivery: true,
 *   filterPolicy: {
 *     event_type: sns.SubscriptionFilter.stringFilter({ allowlist: ['sync.completed'] }),
 *     collection: sns.SubscriptionFilter.stringFilter({ allowlist: ['engineering-context-ab123'] }),
 *   },
 * }));
 * ```
 *
 * or, from the CLI, `aws sns subscribe --topic-arn <EventsTopicArn output> --protocol sqs
 * --notification-endpoint <queue ARN> --attributes '{"FilterPolicy":"{\"event_type\":[\"sync.completed\"]}"}'`.
 * The topic is encrypted with a customer-managed key, and its policy denies requests without TLS.
 */
export class EventsTopic extends Construct {
  public readonly topic: sns.ITopic;

  constructor(scope: Construct, id: string, props: EventsTopicProps = {}) {
    super(scope, id);
    const topic = new sns.Topic(this, 'Topic', {
      displayName: 'Airweave sync lifecycle events',
      masterKey:
        props.masterKey ??
        new kms.Key(this, 'Key', {
          description: 'Encrypts the Airweave sync lifecycle events topic',
          enableKeyRotation: true,
          removalPolicy: RemovalPolicy.RETAIN,
        }),
      enforceSSL: true,
    });
    topic.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.topic = topic;
  }
}
