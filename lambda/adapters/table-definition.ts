import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { GSI1, GSI2, KEY } from '../core/table-schema';

/**
 * The table as a CreateTable request, for the embedded engine of local mode and the tests. Built from the
 * same key schema constants the stack's `SyncTable` uses, so the two cannot drift apart.
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const attributes = [KEY.pk, KEY.sk, GSI1.pk, GSI1.sk, GSI2.pk, GSI2.sk];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: KEY.pk, KeyType: 'HASH' },
      { AttributeName: KEY.sk, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [GSI1, GSI2].map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.pk, KeyType: 'HASH' },
        { AttributeName: index.sk, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
  };
}
