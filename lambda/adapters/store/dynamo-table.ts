import type { AttributeValue, DynamoDBClient, QueryCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { KeyedRule } from '../../core/claims';
import { evaluate, type Item, type Register, type Registers } from '../../core/conditions';
import { DynamoWire } from './dynamo-wire';
import { Expressions } from './expressions';
import type { ItemPage, ItemQuery, ItemTable, Key } from './item-table';
import { GSI1, GSI2, GSI3, KEY } from '../../core/table-schema';

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_LIMIT = 100;
/** Rounds of UnprocessedKeys (throttling) before a read gives up (the caller retries on its next run). */
const MAX_BATCH_ROUNDS = 5;

/** A failed condition: an answer ("someone else got there first"), not an error. The one place that says so. */
export function isConditionalFailure(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

/** Runs a conditional write; false when its condition did not hold. */
export async function conditionally<T>(write: () => Promise<T>): Promise<T | false> {
  try {
    return await write();
  } catch (error) {
    if (isConditionalFailure(error)) return false;
    throw error;
  }
}

type Wire = Record<string, AttributeValue>;
/** Plain values to DynamoDB's attribute values; an undefined attribute is left out, as absent. */
export const toWire = (item: Readonly<Record<string, unknown>>): Wire =>
  marshall(item, { removeUndefinedValues: true });
/** DynamoDB's attribute values back to plain values (`toWire`'s inverse). */
export const fromWire = (item: Wire): Item => unmarshall(item);

/**
 * The one table, as every port's adapter uses it: rules from the core compiled into conditional writes,
 * and the paginated reads. The same code runs in Lambda and against the local engine.
 *
 * Calls go over `DynamoWire`, DynamoDB's JSON protocol on the SDK client's own region, credentials, signer,
 * HTTP handler and retry strategy, without its middleware stack (which cost more CPU than the rest of a
 * plain delivery); the items are marshalled here.
 */
export class DynamoTable implements ItemTable {
  private readonly wire: DynamoWire;

  constructor(
    client: DynamoDBClient,
    readonly name: string,
  ) {
    this.wire = new DynamoWire(client);
  }

  /** Writes the item only if its key is new: the natural key makes this the deduplication. */
  async putNew(item: Item): Promise<boolean> {
    const out = await conditionally(() =>
      this.wire.call('PutItem', {
        TableName: this.name,
        Item: toWire(item),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return out !== false;
  }

  /** One rule as one conditional UpdateItem; the item as it left it, or undefined when the condition failed. */
  async apply(rule: KeyedRule): Promise<Item | undefined> {
    const x = new Expressions();
    const condition = x.condition(rule.when);
    const update = x.update(rule);
    const { ExpressionAttributeNames, ExpressionAttributeValues } = x.attributes();
    const out = await conditionally(() =>
      this.wire.call('UpdateItem', {
        TableName: this.name,
        Key: toWire(rule.key),
        UpdateExpression: update,
        ...(condition !== undefined && { ConditionExpression: condition }),
        ...(ExpressionAttributeNames && { ExpressionAttributeNames }),
        ...(ExpressionAttributeValues && { ExpressionAttributeValues: toWire(ExpressionAttributeValues) }),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return out === false ? undefined : fromWire(out.Attributes ?? {});
  }

  /**
   * Applies an event to several registers of one item in a single conditional UpdateItem, and returns the
   * item as the last applied update left it (undefined when the event changed nothing). The usual case
   * (events arrive in order, every register moves) costs one call. When the combined condition fails, some
   * register already holds something newer (a duplicate, a late event): one consistent read shows which
   * registers still move, and only those are written, each on its own. A duplicate then costs one read
   * instead of a failed write per register (each consumes write capacity). Each register is a max (or
   * min) over the events applied, so the item ends the same whatever the arrival order and however often
   * an event is repeated; a register whose condition fails on the item read is one that a write at that
   * moment would have refused. No transaction: single-item operations the local engine supports.
   */
  async applyRegisters(update: Registers): Promise<Item | undefined> {
    const combined = await this.applyTogether(update, update.registers);
    if (combined || update.registers.length === 1) return combined;
    const current = await this.get(update.key);
    const moving = update.registers.filter((register) => evaluate(current, register.when));
    const items = await Promise.all(moving.map((register) => this.applyTogether(update, [register])));
    return items.filter((item) => item !== undefined).at(-1);
  }

  private applyTogether(update: Registers, registers: readonly Register[]): Promise<Item | undefined> {
    return this.apply({
      key: update.key,
      when: { all: registers.map((r) => r.when) },
      set: Object.assign({}, update.always, ...registers.map((r) => r.set ?? {})) as Item,
      add: Object.assign({}, ...registers.map((r) => r.add ?? {})) as Record<string, ReadonlySet<string>>,
      remove: registers.flatMap((r) => r.remove ?? []),
    });
  }

  async delete(key: Key): Promise<void> {
    await this.wire.call('DeleteItem', { TableName: this.name, Key: toWire(key) });
  }

  async get(key: Key): Promise<Item | undefined> {
    const out = await this.wire.call('GetItem', {
      TableName: this.name,
      Key: toWire(key),
      ConsistentRead: true,
    });
    return out.Item && fromWire(out.Item);
  }

  /** BatchGetItem, 100 keys a call, with the keys DynamoDB left unprocessed (throttling) asked again. */
  async getMany(keys: readonly Key[], attributes: readonly string[]): Promise<Item[]> {
    const items: Item[] = [];
    const x = new Expressions();
    const projection = attributes.map((a) => x.name(a)).join(', ');
    let pending = [...keys];
    for (let round = 0; pending.length > 0; round++) {
      if (round >= MAX_BATCH_ROUNDS) throw new Error('batch read: keys left unprocessed after retries');
      const batch = pending.slice(0, BATCH_GET_LIMIT);
      pending = pending.slice(BATCH_GET_LIMIT);
      const out = await this.wire.call('BatchGetItem', {
        RequestItems: {
          [this.name]: {
            Keys: batch.map(toWire),
            ConsistentRead: true,
            ProjectionExpression: projection,
            ExpressionAttributeNames: x.attributes().ExpressionAttributeNames,
          },
        },
      });
      items.push(...(out.Responses?.[this.name] ?? []).map(fromWire));
      pending.push(...(out.UnprocessedKeys?.[this.name]?.Keys ?? []).map((k) => fromWire(k) as Key));
    }
    return items;
  }

  query(query: ItemQuery): Promise<Item[]> {
    const input = this.queryInput(query);
    return query.limit !== undefined
      ? this.queryPage({ ...input, Limit: query.limit })
      : this.queryAll(input);
  }

  async page(query: ItemQuery & { readonly limit: number }, cursor?: unknown): Promise<ItemPage> {
    const page = await this.wire.call('Query', {
      TableName: this.name,
      ...this.queryInput(query),
      Limit: query.limit,
      // The cursor is the plain key, as callers (and the tokens made from it) have always seen it.
      ...(cursor !== undefined && { ExclusiveStartKey: toWire(cursor as Key) }),
    });
    return {
      items: (page.Items ?? []).map(fromWire),
      ...(page.LastEvaluatedKey !== undefined && { next: fromWire(page.LastEvaluatedKey) }),
    };
  }

  private queryInput(query: ItemQuery): Omit<QueryCommandInput, 'TableName'> {
    const index = query.index ? { gsi1: GSI1, gsi2: GSI2, gsi3: GSI3 }[query.index] : undefined;
    const names: Record<string, string> = { '#pk': index?.pk ?? KEY.pk };
    const values: Record<string, string> = { ':pk': query.partition };
    let condition = '#pk = :pk';
    if (query.sort) {
      names['#sk'] = index?.sk ?? KEY.sk;
      if ('beginsWith' in query.sort) {
        condition += ' AND begins_with(#sk, :prefix)';
        values[':prefix'] = query.sort.beginsWith;
      } else {
        condition += ' AND #sk BETWEEN :from AND :to';
        [values[':from'], values[':to']] = query.sort.between;
      }
    }
    const filters = Object.entries(query.filter ?? {}).map(([attribute, value], i) => {
      names[`#f${i}`] = attribute;
      values[`:f${i}`] = value;
      return `#f${i} = :f${i}`;
    });
    return {
      ...(index && { IndexName: index.name }),
      KeyConditionExpression: condition,
      ...(filters.length > 0 && { FilterExpression: filters.join(' AND ') }),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: toWire(values),
      ...(query.descending && { ScanIndexForward: false }),
      ...(query.consistent && { ConsistentRead: true }),
    };
  }

  /** One page (at most `Limit` items, and at most 1 MB). */
  private async queryPage(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const page = await this.wire.call('Query', { TableName: this.name, ...input });
    return (page.Items ?? []).map(fromWire);
  }

  /** Every page: a Query stops at 1 MB. */
  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Wire | undefined;
    do {
      const page = await this.wire.call('Query', {
        TableName: this.name,
        ...input,
        ExclusiveStartKey: start,
      });
      items.push(...(page.Items ?? []).map(fromWire));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }
}
