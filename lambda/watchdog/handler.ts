import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoSyncStore } from '../adapters/dynamo-store';
import { lambdaTelemetry } from '../adapters/telemetry';
import { readSettings, requireEnv, requireJsonMap } from '../adapters/settings';
import { SnsNotifier } from '../adapters/sns-notifier';
import { parseDuration } from '../core/duration';
import { SERVICE } from '../core/metrics';
import { ENV } from '../core/table-schema';
import { runWatchdog } from '../core/watchdog';

const settings = readSettings();
const telemetry = lambdaTelemetry(SERVICE.watchdog);
const store = new DynamoSyncStore(new DynamoDBClient({}), {
  tableName: requireEnv(ENV.tableName),
  retentionDays: settings.retentionDays,
});
const deps = {
  freshness: store,
  ledger: store,
  notifier: new SnsNotifier(
    new SNSClient({}),
    requireEnv(ENV.eventsTopicArn),
    requireJsonMap(ENV.alertTopicArns),
  ),
  routes: settings.alerts,
  rules: settings.freshness,
  stuckAfterSeconds: parseDuration(settings.watchdog.stuckAfter) as number,
  now: () => new Date(),
  ...telemetry,
};

/** Invoked by the EventBridge schedule; its input is ignored. */
export const handler = () => runWatchdog(deps);
