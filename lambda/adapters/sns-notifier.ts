import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../core/alerts';
import { SettingError } from '../core/errors';
import type { SyncEvent } from '../core/events';
import type { Notifier } from '../core/ports';

/** SNS refuses empty attribute values; subscribers filter on this placeholder instead. */
const NONE = 'none';

function attribute(value: string | null): MessageAttributeValue {
  return { DataType: 'String', StringValue: value ? value.slice(0, 256) : NONE };
}

/**
 * The events topic carries the normalized event with the attributes caches filter on
 * (`event_type`, `collection`, `source_type`, `source_connection_id`) and `event_id`, stable across
 * re-publications of one transition, for subscribers that want to drop the rare duplicate.
 */
export function eventAttributes(event: SyncEvent): Record<string, MessageAttributeValue> {
  return {
    event_type: attribute(event.event_type),
    collection: attribute(event.collection_readable_id),
    source_type: attribute(event.source_type),
    source_connection_id: attribute(event.source_connection_id),
    event_id: attribute(`${event.sync_job_id}:${event.event_type}`),
  };
}

export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly eventsTopicArn: string,
    private readonly alertTopicArns: Readonly<Record<string, string>>,
  ) {}

  async publishEvent(event: SyncEvent): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.eventsTopicArn,
        Message: JSON.stringify(event),
        MessageAttributes: eventAttributes(event),
      }),
    );
  }

  async publishAlert(team: string, alert: Alert): Promise<void> {
    const topicArn = this.alertTopicArns[team];
    if (!topicArn) throw new SettingError(`no alert topic for team ${team}`);
    await this.client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: alert.subject,
        Message: JSON.stringify({ subject: alert.subject, ...alert.body }, null, 2),
        MessageAttributes: {
          kind: attribute(alert.kind),
          collection: attribute(alert.collection_readable_id),
          source_type: attribute(alert.source_type),
        },
      }),
    );
  }
}
