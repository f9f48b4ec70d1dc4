import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type AppConfig, runtimeSettings } from '../lambda/core/config';
import { SyncTable } from './sync-table';
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
} as const;

/** Composes the stateful table and the stateless ingress; no resources are defined here directly. */
export class SyncEventsStack extends Stack {
  public readonly syncTable: SyncTable;
  public readonly ingress: WebhookIngress;

  constructor(scope: Construct, id: string, props: SyncEventsStackProps) {
    super(scope, id, props);
    this.syncTable = new SyncTable(this, 'SyncTable');
    this.ingress = new WebhookIngress(this, 'Ingress', {
      table: this.syncTable.table,
      settings: runtimeSettings(props.config),
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
  }
}
