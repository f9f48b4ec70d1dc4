import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { FAILURE_INDEX_ATTRIBUTES, GSI1, GSI2, GSI3, keys, KEY } from '../core/table-schema';

/**
 * The table as a CreateTable request, for the embedded engine of local mode and the tests. Built from the
 * same key schema constants the stack's `SyncTable` uses, so the two cannot drift apart.
 */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const attributes = [KEY.pk, KEY.sk, GSI1.pk, GSI1.sk, GSI2.pk, GSI2.sk, GSI3.pk, GSI3.sk];
  const keySchema = (index: { pk: string; sk: string }) => [
    { AttributeName: index.pk, KeyType: 'HASH' as const },
    { AttributeName: index.sk, KeyType: 'RANGE' as const },
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: keySchema(KEY),
    GlobalSecondaryIndexes: [
      ...[GSI1, GSI2].map((index) => ({
        IndexName: index.name,
        KeySchema: keySchema(index),
        Projection: { ProjectionType: 'ALL' as const },
      })),
      {
        IndexName: GSI3.name,
        KeySchema: keySchema(GSI3),
        Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...FAILURE_INDEX_ATTRIBUTES] },
      },
    ],
  };
}

/**
 * The item a table created with the failure index starts with: the index holds every failure the table
 * will ever record (docs/DESIGN.md section 8). Written once, right after CreateTable, by whoever creates
 * the table; a table that existed before the index has no such item, and the index is not relied on there.
 */
export function failureIndexSinceItem(): Record<string, string> {
  return { ...keys.failureIndexSince(), entity: 'meta', since: '' };
}
