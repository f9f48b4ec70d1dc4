import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoSyncStore } from '../../lambda/adapters/dynamo-store';
import { silentLog } from '../../lambda/adapters/json-log';
import { StaticSigningKeys } from '../../lambda/adapters/signing-keys';
import type { FreshnessRule } from '../../lambda/core/config';
import { makeQueryHandler } from '../../lambda/query/app';
import { makeWebhookHandler } from '../../lambda/webhook/app';
import { NOW, SECRET } from './deliveries';

export interface Wiring {
  readonly store: DynamoSyncStore;
  readonly webhook: ReturnType<typeof makeWebhookHandler>;
  readonly query: ReturnType<typeof makeQueryHandler>;
}

/** The handlers wired to a real table, as the Lambda entry points wire them, with a fixed clock. */
export function wire(
  client: DynamoDBClient,
  tableName: string,
  options: { secrets?: string[]; rules?: FreshnessRule[]; now?: () => Date } = {},
): Wiring {
  const store = new DynamoSyncStore(client, { tableName, retentionDays: 30 });
  const now = options.now ?? (() => NOW);
  return {
    store,
    webhook: makeWebhookHandler({
      recorder: store,
      keys: new StaticSigningKeys(options.secrets ?? [SECRET]),
      now,
      log: silentLog,
    }),
    query: makeQueryHandler({ freshness: store, rules: options.rules ?? [], now, log: silentLog }),
  };
}

export function parseBody(result: { body?: string }): Record<string, unknown> {
  return JSON.parse(result.body ?? '{}') as Record<string, unknown>;
}
