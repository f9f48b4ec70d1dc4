import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../core/alerts';
import { SettingError } from '../core/errors';
import type { SyncEvent } from '../core/events';
import { alertMessage, eventMessage, type OutboundMessage } from '../core/outbound';
import type { Notifier } from '../core/ports';

/** A built message (`core/outbound.ts`, already within SNS's rules) in the Publish API's shape. */
function publishInput(topicArn: string, built: OutboundMessage) {
  return new PublishCommand({
    TopicArn: topicArn,
    ...(built.subject !== undefined && { Subject: built.subject }),
    Message: built.message,
    MessageAttributes: Object.fromEntries(
      Object.entries(built.attributes).map(([name, value]): [string, MessageAttributeValue] => [
        name,
        { DataType: 'String', StringValue: value },
      ]),
    ),
  });
}

export class SnsNotifier implements Notifier {
  constructor(
    private readonly client: SNSClient,
    private readonly eventsTopicArn: string,
    private readonly alertTopicArns: Readonly<Record<string, string>>,
  ) {}

  async publishEvent(event: SyncEvent): Promise<void> {
    await this.client.send(publishInput(this.eventsTopicArn, eventMessage(event)));
  }

  async publishAlert(team: string, alert: Alert): Promise<void> {
    const topicArn = this.alertTopicArns[team];
    if (!topicArn) throw new SettingError(`no alert topic for team ${team}`);
    await this.client.send(publishInput(topicArn, alertMessage(alert)));
  }
}
