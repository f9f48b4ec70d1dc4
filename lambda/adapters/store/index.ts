import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Stores } from '../../core/ports';
import { DynamoTable } from './dynamo-table';
import { type StoreOptions, storesOn } from './stores';

export { memoryStores, type StoreOptions, storesOn } from './stores';

/** The ports on a DynamoDB table: the same code runs in Lambda and against the local engine. */
export function dynamoStores(
  client: DynamoDBClient,
  options: StoreOptions & { readonly tableName: string },
): Stores {
  return storesOn(new DynamoTable(client, options.tableName), options);
}
