/**
 * A small language for the table's write rules: a condition on one item and the change it permits. The
 * rules (`job-record.ts`, `freshness-record.ts`, `claims.ts`) are written in it once, as data; the
 * DynamoDB adapter compiles them into condition and update expressions, and `evaluate`/`applyChange`
 * below execute them in memory, so the in-memory store and DynamoDB obey the same rules by construction
 * (a property test checks they agree; docs/DESIGN.md section 4).
 *
 * Semantics follow DynamoDB's: a comparison with a missing attribute is false; strings compare by code
 * unit, which equals DynamoDB's byte order for the ASCII timestamps and keys the rules compare.
 */
export type Scalar = string | number;

export type Condition =
  | { readonly absent: string }
  | { readonly present: string }
  | { readonly attribute: string; readonly op: '=' | '<>' | '<' | '<=' | '>' | '>='; readonly value: Scalar }
  /** The number of elements of a set attribute is below `value` (a missing set counts as empty). */
  | { readonly sizeBelow: string; readonly value: number }
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] };

/** What a write does to the item's attributes when its condition holds. */
export interface Change {
  readonly set?: Readonly<Record<string, unknown>>;
  /** Elements added to string-set attributes. */
  readonly add?: Readonly<Record<string, ReadonlySet<string>>>;
  readonly remove?: readonly string[];
}

/** One conditional write to one item. */
export interface Rule extends Change {
  readonly when: Condition;
}

/**
 * One item's registers: groups of attributes that each move under their own monotone condition ("only if
 * this event is newer than what the register holds"). Registers never share an attribute, and a
 * register's condition reads only attributes that register writes, so applying them all at once or one by
 * one gives the same item. `always` (identity, index keys) is written by every write that changes the item.
 */
export interface Registers {
  readonly key: Readonly<Record<string, string>>;
  readonly always: Readonly<Record<string, unknown>>;
  readonly registers: readonly Register[];
}

export interface Register extends Rule {
  /** The register's name, for the adapter and for error messages. */
  readonly name: string;
}

export type Item = Record<string, unknown>;

/** Shorthands the rules are written with. */
export const cond = {
  absent: (attribute: string): Condition => ({ absent: attribute }),
  present: (attribute: string): Condition => ({ present: attribute }),
  eq: (attribute: string, value: Scalar): Condition => ({ attribute, op: '=', value }),
  ne: (attribute: string, value: Scalar): Condition => ({ attribute, op: '<>', value }),
  lt: (attribute: string, value: Scalar): Condition => ({ attribute, op: '<', value }),
  le: (attribute: string, value: Scalar): Condition => ({ attribute, op: '<=', value }),
  gt: (attribute: string, value: Scalar): Condition => ({ attribute, op: '>', value }),
  sizeBelow: (attribute: string, value: number): Condition => ({ sizeBelow: attribute, value }),
  all: (...conditions: Condition[]): Condition => ({ all: conditions }),
  /** No condition: the write always applies. */
  always: (): Condition => ({ all: [] }),
  any: (...conditions: Condition[]): Condition => ({ any: conditions }),
};

export function evaluate(item: Item | undefined, condition: Condition): boolean {
  if ('all' in condition) return condition.all.every((c) => evaluate(item, c));
  if ('any' in condition) return condition.any.some((c) => evaluate(item, c));
  if ('absent' in condition) return item?.[condition.absent] === undefined;
  if ('present' in condition) return item?.[condition.present] !== undefined;
  if ('sizeBelow' in condition) {
    const value = item?.[condition.sizeBelow];
    return (value instanceof Set ? value.size : 0) < condition.value;
  }
  const actual = item?.[condition.attribute];
  if (typeof actual !== typeof condition.value) return condition.op === '<>' && actual !== undefined;
  const a = actual as Scalar;
  const b = condition.value;
  switch (condition.op) {
    case '=':
      return a === b;
    case '<>':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** The item after the change (a new object; sets are copied, never shared with the rule). */
export function applyChange(
  item: Item | undefined,
  key: Readonly<Record<string, string>>,
  change: Change,
): Item {
  const next: Item = { ...item, ...key };
  for (const [name, value] of Object.entries(change.set ?? {})) {
    // DynamoDB's document client drops undefined values (removeUndefinedValues).
    if (value !== undefined) next[name] = value instanceof Set ? new Set(value) : value;
  }
  for (const [name, elements] of Object.entries(change.add ?? {})) {
    const current = next[name];
    next[name] = new Set([...(current instanceof Set ? (current as Set<string>) : []), ...elements]);
  }
  for (const name of change.remove ?? []) delete next[name];
  return next;
}

/**
 * Registers applied to an item, as DynamoDB ends up applying them: every register whose condition holds
 * on the item as it was. Undefined when no register moves (the event changes nothing).
 */
export function applyRegisters(item: Item | undefined, update: Registers): Item | undefined {
  const moving = update.registers.filter((r) => evaluate(item, r.when));
  if (moving.length === 0) return undefined;
  return applyChange(item, update.key, {
    set: Object.assign({}, update.always, ...moving.map((r) => r.set ?? {})) as Record<string, unknown>,
    add: Object.assign({}, ...moving.map((r) => r.add ?? {})) as Record<string, ReadonlySet<string>>,
    remove: moving.flatMap((r) => r.remove ?? []),
  });
}
