import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { dynamoStores } from '../adapters/store';
import { lambdaTelemetry } from '../adapters/telemetry';
import { readSettings, requireEnv, requireJsonMap } from '../adapters/settings';
import { SnsNotifier } from '../adapters/sns-notifier';
import { compose } from '../compose';
import { SERVICE } from '../core/metrics';
import { ENV } from '../core/table-schema';
import { runWatchdog } from '../core/watchdog';
import { functionClient } from '../adapters/sdk-clients';

const settings = readSettings();
const telemetry = lambdaTelemetry(SERVICE.watchdog);
const deps = compose(
  {
    stores: dynamoStores(functionClient(DynamoDBClient), {
      tableName: requireEnv(ENV.tableName),
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
  },
);

/** Invoked by the EventBridge schedule; its input is ignored. */
export const handler = telemetry.inContext(() => runWatchdog(deps));
