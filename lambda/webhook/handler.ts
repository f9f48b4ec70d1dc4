import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoSourceRegistry } from '../adapters/dynamo-source-registry';
import { onFirstUse } from '../adapters/on-first-use';
import { dynamoStores } from '../adapters/store';
import { lambdaTelemetry } from '../adapters/telemetry';
import { readSettings, requireEnv, requireJsonMap } from '../adapters/settings';
import { SecretsManagerSigningKeys } from '../adapters/signing-keys';
import { SnsNotifier } from '../adapters/sns-notifier';
import { compose } from '../compose';
import { SERVICE } from '../core/metrics';
import { ENV } from '../core/table-schema';
import type { SyncEvent } from '../core/events';
import type { PipelineStarter } from '../core/ports';
import { makeWebhookHandler } from './app';
import { functionClient } from '../adapters/sdk-clients';

// Cold start: settings are checked and clients created once per container, not per request.
const settings = readSettings();
const telemetry = lambdaTelemetry(SERVICE.webhook);
const dynamodb = functionClient(DynamoDBClient);
const tableName = requireEnv(ENV.tableName);
// Set by the stack when the reconciler is deployed (lib/reconciler.ts); absent, no suspicion is handed over.
const reconcileFunction = process.env[ENV.reconcileFunctionName];
// Checked at cold start like every setting; the clients that use them are loaded on first use.
const pipelineStateMachineArns = requireJsonMap(ENV.pipelineStateMachineArns);
const sfnStarter = onFirstUse(async () =>
  (await import('../adapters/sfn-starter')).functionSfnStarter(pipelineStateMachineArns),
);
const reconcileInvoker = onFirstUse(async () =>
  (await import('../adapters/reconcile-invoker')).functionReconcileInvoker(reconcileFunction ?? ''),
);
const starter: PipelineStarter = {
  start: async (pipeline, executionName, input) => (await sfnStarter()).start(pipeline, executionName, input),
};
const reconcileSoon = async (event: SyncEvent) => (await reconcileInvoker())(event);
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
          functionClient(SNSClient),
          requireEnv(ENV.eventsTopicArn),
          requireJsonMap(ENV.alertTopicArns),
        ),
        starter,
        keys: new SecretsManagerSigningKeys(functionClient(SecretsManagerClient), requireEnv(ENV.secretArn)),
        registry: new DynamoSourceRegistry(dynamodb, tableName),
        ...(reconcileFunction && { reconcileSoon }),
      },
    ),
  ),
);
