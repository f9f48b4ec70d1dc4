import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoSyncStore } from '../adapters/dynamo-store';
import { jsonLog } from '../adapters/json-log';
import { SecretsManagerSigningKeys } from '../adapters/signing-keys';
import { readSettings, requireEnv } from '../adapters/settings';
import { ENV } from '../core/table-schema';
import { makeWebhookHandler } from './app';

// Cold start: settings are checked and clients created once per container, not per request.
const settings = readSettings();
export const handler = makeWebhookHandler({
  recorder: new DynamoSyncStore(new DynamoDBClient({}), {
    tableName: requireEnv(ENV.tableName),
    retentionDays: settings.retentionDays,
  }),
  keys: new SecretsManagerSigningKeys(new SecretsManagerClient({}), requireEnv(ENV.secretArn)),
  now: () => new Date(),
  log: jsonLog('webhook'),
});
