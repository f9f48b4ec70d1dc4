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
 * The item that says since when the failure index holds every failure (docs/DESIGN.md section 8). A table
 * created with the index starts with `since: ''` (every failure it will ever record), written right after
 * CreateTable by whoever creates it (local mode, the tests, the benchmarks). A deployed table gets the time
 * of the deploy-time stamp (`core/failure-index-stamp.ts`); a table with no such item does not rely on
 * the index.
 */
export function failureIndexSinceItem(since = ''): Record<string, string> {
  return { ...keys.failureIndexSince(), entity: 'meta', since };
}
