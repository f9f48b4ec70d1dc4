import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoStores } from '../adapters/store';
import { lambdaTelemetry } from '../adapters/telemetry';
import { readSettings, requireEnv } from '../adapters/settings';
import { compose } from '../compose';
import { ENV } from '../core/table-schema';
import { makeQueryHandler } from './app';
import { functionClient } from '../adapters/sdk-clients';

const settings = readSettings();
const telemetry = lambdaTelemetry('query');
export const handler = telemetry.inContext(
  makeQueryHandler(
    compose(
      {
        stores: dynamoStores(functionClient(DynamoDBClient), {
          tableName: requireEnv(ENV.tableName),
          retentionDays: settings.retentionDays,
        }),
        settings,
        log: telemetry.log,
      },
      {},
    ),
  ),
);
