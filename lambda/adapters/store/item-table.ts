import type { KeyedRule } from '../../core/claims';
import type { Item, Registers } from '../../core/conditions';

export type Key = Readonly<Record<string, string>>;

/** A Query on the table or one of its indexes (docs/DESIGN.md section 4 lists the access patterns). */
export interface ItemQuery {
  readonly index?: 'gsi1' | 'gsi2' | 'gsi3';
  readonly partition: string;
  readonly sort?: { readonly beginsWith: string } | { readonly between: readonly [string, string] };
  /** Newest first: descending sort key. */
  readonly descending?: boolean;
  /** One page of at most this many items; without it, every page. */
  readonly limit?: number;
  /** Strongly consistent (base table only). */
  readonly consistent?: boolean;
  /** Equality on other attributes, applied after `limit` as DynamoDB's FilterExpression is (a page may be short). */
  readonly filter?: Readonly<Record<string, string>>;
}

export interface ItemPage {
  readonly items: Item[];
  /** Where the next page starts (opaque to callers); undefined when the range is exhausted. */
  readonly next?: unknown;
}

/**
 * The one table as the ports' adapters see it. Two implementations: DynamoDB (Lambda, local mode, against
 * the local engine) and memory (the executable spec), which interpret the same core rules.
 */
export interface ItemTable {
  /** Writes the item only if its key is new; false when it was there (the natural key deduplicates). */
  putNew(item: Item): Promise<boolean>;
  /** One conditional write; the item as it left it, or undefined when the condition did not hold. */
  apply(rule: KeyedRule): Promise<Item | undefined>;
  /** An event's registers on one item; the item as last written, or undefined when nothing moved. */
  applyRegisters(update: Registers): Promise<Item | undefined>;
  get(key: Key): Promise<Item | undefined>;
  /** The items of these keys that exist (strongly consistent), only the `attributes` named, in no order. */
  getMany(keys: readonly Key[], attributes: readonly string[]): Promise<Item[]>;
  delete(key: Key): Promise<void>;
  /** Every item in range, or one page of at most `limit` when it is given. */
  query(query: ItemQuery): Promise<Item[]>;
  /** One page of at most `limit` items, from `cursor` (a previous page's `next`). */
  page(query: ItemQuery & { readonly limit: number }, cursor?: unknown): Promise<ItemPage>;
}
