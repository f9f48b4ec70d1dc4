import { applyRule, type KeyedRule } from '../../core/claims';
import { applyRegisters, type Item, type Registers } from '../../core/conditions';
import { GSI1, GSI2, GSI3, KEY } from '../../core/table-schema';
import type { ItemPage, ItemQuery, ItemTable, Key } from './item-table';

/**
 * The table in memory: the executable spec of the store. Every write is the core's pure function of the
 * item (`applyRegisters`, `applyRule`), so the DynamoDB adapter, which compiles the same rules into
 * expressions, must end with the same items (the store property test checks it on the local engine).
 * Items are copied in and out, as a network store would.
 */
export class MemoryTable implements ItemTable {
  private readonly rows = new Map<string, Item>();

  /** Every item, as a Scan returns them (for tests). */
  items(): Item[] {
    return [...this.rows.values()].map(copy);
  }

  async putNew(item: Item): Promise<boolean> {
    const id = idOf(item);
    if (this.rows.has(id)) return false;
    this.rows.set(id, copy(item));
    return true;
  }

  async apply(rule: KeyedRule): Promise<Item | undefined> {
    return this.write(rule.key, (item) => applyRule(item, rule));
  }

  async applyRegisters(update: Registers): Promise<Item | undefined> {
    return this.write(update.key, (item) => applyRegisters(item, update));
  }

  async get(key: Key): Promise<Item | undefined> {
    const item = this.rows.get(idOf(key));
    return item && copy(item);
  }

  async getMany(keys: readonly Key[], attributes: readonly string[]): Promise<Item[]> {
    return keys
      .map((key) => this.rows.get(idOf(key)))
      .filter((item) => item !== undefined)
      .map((item) =>
        Object.fromEntries(attributes.filter((a) => a in item).map((a) => [a, copyValue(item[a])])),
      );
  }

  async delete(key: Key): Promise<void> {
    this.rows.delete(idOf(key));
  }

  async query(query: ItemQuery): Promise<Item[]> {
    const range = this.range(query);
    const page = query.limit !== undefined ? range.slice(0, query.limit) : range;
    return page.filter(matches(query.filter)).map(copy);
  }

  /** The cursor is the number of items already read from the range (opaque to callers, as DynamoDB's is). */
  async page(query: ItemQuery & { readonly limit: number }, cursor?: unknown): Promise<ItemPage> {
    const start = typeof cursor === 'number' ? cursor : 0;
    const range = this.range(query);
    const end = start + query.limit;
    return {
      items: range.slice(start, end).filter(matches(query.filter)).map(copy),
      ...(end < range.length && { next: end }),
    };
  }

  /** The items a Query reads, in its order, before any filter. */
  private range(query: ItemQuery): Item[] {
    const index = query.index ? { gsi1: GSI1, gsi2: GSI2, gsi3: GSI3 }[query.index] : KEY;
    const sortOf = (item: Item) => item[index.sk] as string;
    const sort = query.sort;
    const matching = [...this.rows.values()]
      .filter((item) => item[index.pk] === query.partition && typeof item[index.sk] === 'string')
      .filter((item) =>
        sort === undefined
          ? true
          : 'beginsWith' in sort
            ? sortOf(item).startsWith(sort.beginsWith)
            : sortOf(item) >= sort.between[0] && sortOf(item) <= sort.between[1],
      )
      .sort((a, b) => (sortOf(a) < sortOf(b) ? -1 : sortOf(a) > sortOf(b) ? 1 : 0));
    return query.descending ? matching.reverse() : matching;
  }

  private write(key: Key, change: (item: Item | undefined) => Item | undefined): Item | undefined {
    const id = idOf(key);
    const next = change(this.rows.get(id));
    if (next === undefined) return undefined;
    this.rows.set(id, next);
    return copy(next);
  }
}

function matches(filter: Readonly<Record<string, string>> | undefined): (item: Item) => boolean {
  return (item) => Object.entries(filter ?? {}).every(([attribute, value]) => item[attribute] === value);
}

function idOf(key: Readonly<Record<string, unknown>>): string {
  return JSON.stringify([key[KEY.pk], key[KEY.sk]]);
}

/** A deep copy that keeps sets and binary values what they are (the item's own realm's classes). */
function copy(item: Item): Item {
  return copyValue(item) as Item;
}

function copyValue(value: unknown): unknown {
  if (value instanceof Set) return new Set(value);
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map(copyValue);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyValue(v)]));
  return value;
}
