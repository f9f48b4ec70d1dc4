import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoSyncStore } from '../adapters/dynamo-store';
import { lambdaTelemetry } from '../adapters/telemetry';
import { readSettings, requireEnv, requireJsonMap } from '../adapters/settings';
import { SfnStarter } from '../adapters/sfn-starter';
import { SecretsManagerSigningKeys } from '../adapters/signing-keys';
import { SnsNotifier } from '../adapters/sns-notifier';
import { SERVICE } from '../core/metrics';
import { ENV } from '../core/table-schema';
import { makeWebhookHandler } from './app';

// Cold start: settings are checked and clients created once per container, not per request.
const settings = readSettings();
const telemetry = lambdaTelemetry(SERVICE.webhook);
const store = new DynamoSyncStore(new DynamoDBClient({}), {
  tableName: requireEnv(ENV.tableName),
  retentionDays: settings.retentionDays,
});
export const handler = makeWebhookHandler({
  recorder: store,
  ledger: store,
  gates: store,
  freshness: store,
  notifier: new SnsNotifier(
    new SNSClient({}),
    requireEnv(ENV.eventsTopicArn),
    requireJsonMap(ENV.alertTopicArns),
  ),
  starter: new SfnStarter(new SFNClient({}), requireJsonMap(ENV.pipelineStateMachineArns)),
  keys: new SecretsManagerSigningKeys(new SecretsManagerClient({}), requireEnv(ENV.secretArn)),
  routes: settings.alerts,
  rules: settings.freshness,
  pipelines: settings.pipelines,
  now: () => new Date(),
  ...telemetry,
});
