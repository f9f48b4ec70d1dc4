import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoSourceRegistry } from '../adapters/dynamo-source-registry';
import { invokeReconcile } from '../adapters/reconcile-invoker';
import { dynamoStores } from '../adapters/store';
import { lambdaTelemetry } from '../adapters/telemetry';
import { traced } from '../adapters/tracing';
import { readSettings, requireEnv, requireJsonMap } from '../adapters/settings';
import { SfnStarter } from '../adapters/sfn-starter';
import { SecretsManagerSigningKeys } from '../adapters/signing-keys';
import { SnsNotifier } from '../adapters/sns-notifier';
import { compose } from '../compose';
import { SERVICE } from '../core/metrics';
import { ENV } from '../core/table-schema';
import { makeWebhookHandler } from './app';

// Cold start: settings are checked and clients created once per container, not per request.
const settings = readSettings();
const telemetry = lambdaTelemetry(SERVICE.webhook);
const dynamodb = traced(new DynamoDBClient({}));
const tableName = requireEnv(ENV.tableName);
// Set by the stack when the reconciler is deployed (lib/reconciler.ts); absent, no suspicion is handed over.
const reconcileFunction = process.env[ENV.reconcileFunctionName];
export const handler = telemetry.inContext(
  makeWebhookHandler(
    compose(
      {
        stores: dynamoStores(dynamodb, {
          tableName,
          retentionDays: settings.retentionDays,
        }),
        settings,
        log: telemetry.log,
        metrics: telemetry.metrics,
      },
      {
        notifier: new SnsNotifier(
          traced(new SNSClient({})),
          requireEnv(ENV.eventsTopicArn),
          requireJsonMap(ENV.alertTopicArns),
        ),
        starter: new SfnStarter(traced(new SFNClient({})), requireJsonMap(ENV.pipelineStateMachineArns)),
        keys: new SecretsManagerSigningKeys(traced(new SecretsManagerClient({})), requireEnv(ENV.secretArn)),
        registry: new DynamoSourceRegistry(dynamodb, tableName),
        ...(reconcileFunction && {
          reconcileSoon: invokeReconcile(traced(new LambdaClient({})), reconcileFunction),
        }),
      },
    ),
  ),
);
