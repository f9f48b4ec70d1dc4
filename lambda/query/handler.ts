import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoAuditHistory } from '../adapters/audit-history';
import { DynamoSyncStore } from '../adapters/dynamo-store';
import { lambdaTelemetry } from '../adapters/telemetry';
import { readSettings, requireEnv } from '../adapters/settings';
import { ENV } from '../core/table-schema';
import { makeQueryHandler } from './app';

const settings = readSettings();
const client = new DynamoDBClient({});
const tableName = requireEnv(ENV.tableName);
const store = new DynamoSyncStore(client, { tableName, retentionDays: settings.retentionDays });
export const handler = makeQueryHandler({
  freshness: store,
  pipelines: { specs: settings.pipelines, reader: store },
  rules: settings.freshness,
  history: new DynamoAuditHistory(client, tableName),
  retentionDays: settings.retentionDays,
  now: () => new Date(),
  log: lambdaTelemetry('query').log,
});
