import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { subjectLine } from '../core/alerts';
import type { OperationsNotifier } from '../core/reconcile';

/** The operations topic (where the CloudWatch alarms go), for problems of the deployment itself. */
export class SnsOperationsNotifier implements OperationsNotifier {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async notify(subject: string, body: Record<string, unknown>): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        // SNS's email subject rules (one line, at most 100 characters), as for the alert topics.
        Subject: subjectLine(subject),
        Message: JSON.stringify(body),
      }),
    );
  }
}
