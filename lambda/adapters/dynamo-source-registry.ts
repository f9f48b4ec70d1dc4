import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoTable } from './store/dynamo-table';
import { TableSourceRegistry } from './store/source-registry';

/**
 * The source registry on a DynamoDB table: the core's rules (`core/source-record.ts`) compiled into
 * single-item conditional writes, on the same table and items as the event store.
 */
export class DynamoSourceRegistry extends TableSourceRegistry {
  constructor(client: DynamoDBClient, tableName: string) {
    super(new DynamoTable(client, tableName));
  }
}
