import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { StampStore } from '../core/failure-index-stamp';
import { keys } from '../core/table-schema';
import { isConditionalFailure } from './store/dynamo-table';
import { failureIndexSinceItem } from './table-definition';

/**
 * The stamp item on DynamoDB: one conditional PutItem to write it, one conditional DeleteItem to take it
 * back, both on the `META` partition only (the stamp function's role is limited to that partition).
 */
export class DynamoStampStore implements StampStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient) {
    this.doc = DynamoDBDocumentClient.from(client);
  }

  async write(tableName: string, since: string): Promise<boolean> {
    return conditionally(() =>
      this.doc.send(
        new PutCommand({
          TableName: tableName,
          Item: failureIndexSinceItem(since),
          // A retry of this very write (the SDK's, after a lost answer) finds its own stamp: written, not kept.
          ConditionExpression: 'attribute_not_exists(pk) OR since = :since',
          ExpressionAttributeValues: { ':since': since },
        }),
      ),
    );
  }

  async takeBack(tableName: string, since: string): Promise<boolean> {
    // A table deleted by hand holds no stamp to take back; failing would wedge the stack's rollback or deletion.
    return conditionally(
      () =>
        this.doc.send(
          new DeleteCommand({
            TableName: tableName,
            Key: keys.failureIndexSince(),
            ConditionExpression: 'since = :since',
            ExpressionAttributeValues: { ':since': since },
          }),
        ),
      'ResourceNotFoundException',
    );
  }
}

/** True when the write happened, false when its condition did not hold (or the error named says so). */
async function conditionally(write: () => Promise<unknown>, alsoFalse?: string): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionalFailure(error) || (error as Error).name === alsoFalse) return false;
    throw error;
  }
}
