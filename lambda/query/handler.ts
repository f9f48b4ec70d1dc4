import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoSyncStore } from '../adapters/dynamo-store';
import { lambdaTelemetry } from '../adapters/telemetry';
import { readSettings, requireEnv } from '../adapters/settings';
import { ENV } from '../core/table-schema';
import { makeQueryHandler } from './app';

const settings = readSettings();
const store = new DynamoSyncStore(new DynamoDBClient({}), {
  tableName: requireEnv(ENV.tableName),
  retentionDays: settings.retentionDays,
});
export const handler = makeQueryHandler({
  freshness: store,
  pipelines: { specs: settings.pipelines, reader: store },
  rules: settings.freshness,
  now: () => new Date(),
  log: lambdaTelemetry('query').log,
});
