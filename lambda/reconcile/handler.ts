import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { AirweaveHttpClient } from '../adapters/airweave-client';
import { SecretsManagerApiKey } from '../adapters/airweave-key';
import { DynamoSourceRegistry } from '../adapters/dynamo-source-registry';
import { SnsOperationsNotifier } from '../adapters/operations-notifier';
import { readSettings, requireEnv, requireJsonMap } from '../adapters/settings';
import { SfnStarter } from '../adapters/sfn-starter';
import { SnsNotifier } from '../adapters/sns-notifier';
import { dynamoStores } from '../adapters/store';
import { lambdaTelemetry } from '../adapters/telemetry';
import { compose } from '../compose';
import { AIRWEAVE_DEFAULTS } from '../core/settings';
import type { SyncEvent } from '../core/events';
import { SERVICE } from '../core/metrics';
import { reconcileOnSuspicion, type ReconcileDeps, runReconcile } from '../core/reconcile';
import { ENV } from '../core/table-schema';
import { functionClient } from '../adapters/sdk-clients';

// Cold start: settings are checked and clients created once per container.
const settings = readSettings();
const telemetry = lambdaTelemetry(SERVICE.reconcile);
const client = functionClient(DynamoDBClient);
const tableName = requireEnv(ENV.tableName);
const sns = functionClient(SNSClient);
const key = new SecretsManagerApiKey(
  functionClient(SecretsManagerClient),
  requireEnv(ENV.airweaveKeySecretArn),
);
const deps: Omit<ReconcileDeps, 'api'> = {
  ...compose(
    {
      stores: dynamoStores(client, { tableName, retentionDays: settings.retentionDays }),
      settings,
      log: telemetry.log,
      metrics: telemetry.metrics,
    },
    {
      notifier: new SnsNotifier(sns, requireEnv(ENV.eventsTopicArn), requireJsonMap(ENV.alertTopicArns)),
      starter: new SfnStarter(functionClient(SFNClient), requireJsonMap(ENV.pipelineStateMachineArns)),
    },
  ),
  registry: new DynamoSourceRegistry(client, tableName),
  operations: new SnsOperationsNotifier(sns, requireEnv(ENV.operationsTopicArn)),
  jobs: (settings.airweave ?? AIRWEAVE_DEFAULTS).reconcile.jobs,
};
const apiUrl = (settings.airweave ?? AIRWEAVE_DEFAULTS).apiUrl;

/** What the webhook hands over on suspicion (`reconcileSoon`); the schedule's own event has no `suspect`. */
export interface ReconcileInvocation {
  readonly suspect?: Pick<SyncEvent, 'collection_readable_id' | 'source_key' | 'sync_job_id' | 'state'>;
}

/**
 * Invoked by the EventBridge schedule (one pass over every source) and, asynchronously, by the webhook (one
 * source on suspicion). Never throws for what Airweave answers: the run's outcome is its metric and log, and
 * a Lambda retry would only call a rate-limited or refusing API again before the next scheduled run.
 */
export const handler = telemetry.inContext(async (event: ReconcileInvocation = {}) => {
  const apiKey = await key.current();
  const api = apiKey === undefined ? undefined : new AirweaveHttpClient({ apiUrl, apiKey });
  if (event.suspect) return reconcileOnSuspicion({ ...deps, api }, event.suspect);
  return runReconcile({ ...deps, api });
});
