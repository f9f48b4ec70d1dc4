import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/**
 * One "register" of an item: attributes that move together under one monotone condition ("only if this
 * event is newer than what the register holds"). Registers of one item never share an attribute.
 */
export interface Register {
  readonly when: string;
  readonly set?: readonly string[];
  readonly add?: readonly string[];
  readonly remove?: readonly string[];
}

export interface RegisterUpdate {
  readonly key: Record<string, string>;
  /** Attributes that never change once the item exists (identity, index keys): written by every update. */
  readonly always: readonly string[];
  readonly registers: readonly Register[];
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
}

/**
 * Applies an event to several registers of one item in a single conditional UpdateItem, and returns the
 * item as the last applied update left it (undefined when the event changed nothing). The usual case
 * (events arrive in order, every register moves) costs one call. When the combined condition fails, some
 * register already holds something newer, so each register is tried on its own; every register is a max
 * (or min) over the events applied, so the item ends the same whatever the arrival order and however
 * often an event is repeated. No read, no transaction: a single-item write the local engine supports.
 */
export async function updateRegisters(
  client: DynamoDBDocumentClient,
  table: string,
  update: RegisterUpdate,
): Promise<Record<string, unknown> | undefined> {
  const combined = await tryUpdate(client, table, update, update.registers);
  if (combined || update.registers.length === 1) return combined;
  const items = await Promise.all(
    update.registers.map((register) => tryUpdate(client, table, update, [register])),
  );
  return items.filter((item) => item !== undefined).at(-1);
}

async function tryUpdate(
  client: DynamoDBDocumentClient,
  table: string,
  update: RegisterUpdate,
  registers: readonly Register[],
): Promise<Record<string, unknown> | undefined> {
  const set = [...update.always, ...registers.flatMap((r) => r.set ?? [])];
  const add = registers.flatMap((r) => r.add ?? []);
  const remove = registers.flatMap((r) => r.remove ?? []);
  const clauses = [
    set.length ? `SET ${set.join(', ')}` : '',
    add.length ? `ADD ${add.join(', ')}` : '',
    remove.length ? `REMOVE ${remove.join(', ')}` : '',
  ].filter(Boolean);
  const expression = clauses.join(' ');
  const condition = registers.map((r) => `(${r.when})`).join(' AND ');
  try {
    const out = await client.send(
      new UpdateCommand({
        TableName: table,
        Key: update.key,
        UpdateExpression: expression,
        ConditionExpression: condition,
        ExpressionAttributeNames: pick(update.names, `${expression} ${condition}`),
        ExpressionAttributeValues: pick(update.values, `${expression} ${condition}`),
        // The item as this update left it: the job's state times, for the sync-duration metric.
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out.Attributes ?? {};
  } catch (error) {
    if (
      error instanceof ConditionalCheckFailedException ||
      (error as Error).name === 'ConditionalCheckFailedException'
    )
      return undefined;
    throw error;
  }
}

/**
 * DynamoDB refuses unused placeholders: keep only those this expression mentions. One scan of the
 * expression's tokens, not a regular expression per placeholder: this runs on every write of every event.
 */
function pick<T>(all: Record<string, T>, expression: string): Record<string, T> | undefined {
  const mentioned = new Set(expression.match(/[#:][A-Za-z0-9_]+/g));
  const used = Object.entries(all).filter(([placeholder]) => mentioned.has(placeholder));
  return used.length > 0 ? Object.fromEntries(used) : undefined;
}
