import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoStores } from '../adapters/store';
import { lambdaTelemetry } from '../adapters/telemetry';
import { readSettings, requireEnv } from '../adapters/settings';
import { compose } from '../compose';
import { ENV } from '../core/table-schema';
import { makeQueryHandler } from './app';

const settings = readSettings();
export const handler = makeQueryHandler(
  compose(
    {
      stores: dynamoStores(new DynamoDBClient({}), {
        tableName: requireEnv(ENV.tableName),
        retentionDays: settings.retentionDays,
      }),
      settings,
      log: lambdaTelemetry('query').log,
    },
    {},
  ),
);
