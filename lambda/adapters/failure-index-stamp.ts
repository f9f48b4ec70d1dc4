import { DeleteItemCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { StampStore } from '../core/failure-index-stamp';
import { keys } from '../core/table-schema';
import { conditionally, toWire } from './store/dynamo-table';
import { failureIndexSinceItem } from './table-definition';

/**
 * The stamp item on DynamoDB: one conditional PutItem to write it, one conditional DeleteItem to take it
 * back, both on the `META` partition only (the stamp function's role is limited to that partition).
 */
export class DynamoStampStore implements StampStore {
  constructor(private readonly client: DynamoDBClient) {}

  async write(tableName: string, since: string): Promise<boolean> {
    const written = await conditionally(() =>
      this.client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: toWire(failureIndexSinceItem(since)),
          // A retry of this very write (the SDK's, after a lost answer) finds its own stamp: written, not kept.
          ConditionExpression: 'attribute_not_exists(pk) OR since = :since',
          ExpressionAttributeValues: toWire({ ':since': since }),
        }),
      ),
    );
    return written !== false;
  }

  async takeBack(tableName: string, since: string): Promise<boolean> {
    try {
      const deleted = await conditionally(() =>
        this.client.send(
          new DeleteItemCommand({
            TableName: tableName,
            Key: toWire(keys.failureIndexSince()),
            ConditionExpression: 'since = :since',
            ExpressionAttributeValues: toWire({ ':since': since }),
          }),
        ),
      );
      return deleted !== false;
    } catch (error) {
      // A table deleted by hand holds no stamp to take back; failing would wedge the stack's rollback or deletion.
      if ((error as Error).name === 'ResourceNotFoundException') return false;
      throw error;
    }
  }
}
