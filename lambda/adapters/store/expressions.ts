import type { Change, Condition } from '../../core/conditions';

/**
 * Placeholders made once: a placeholder built fresh for every write is a new string that becomes a
 * property key of the command, which V8 must intern (hash, look up) each time; these are interned once.
 */
const PLACEHOLDERS = 64;
const NAME_PLACEHOLDERS = Array.from({ length: PLACEHOLDERS }, (_, i) => `#n${i}`);
const VALUE_PLACEHOLDERS = Array.from({ length: PLACEHOLDERS }, (_, i) => `:v${i}`);

/**
 * Compiles the core's rules (`core/conditions.ts`) into DynamoDB expressions: every attribute name and
 * value goes through a placeholder, so no reserved word (`state`, `consumed`...) or user value ever ends
 * up in expression text.
 */
export class Expressions {
  private readonly names = new Map<string, string>();
  private readonly values = new Map<string, unknown>();

  name(attribute: string): string {
    let placeholder = this.names.get(attribute);
    if (placeholder === undefined) {
      placeholder = NAME_PLACEHOLDERS[this.names.size] ?? `#n${this.names.size}`;
      this.names.set(attribute, placeholder);
    }
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = VALUE_PLACEHOLDERS[this.values.size] ?? `:v${this.values.size}`;
    this.values.set(placeholder, value);
    return placeholder;
  }

  /** The condition expression; undefined for a condition that always holds. */
  condition(condition: Condition): string | undefined {
    return this.compile(condition)?.text;
  }

  /**
   * `compound` marks a disjunction or conjunction, which its parent wraps in parentheses. DynamoDB refuses
   * redundant parentheses, so nothing else is wrapped.
   */
  private compile(condition: Condition): { text: string; compound: boolean } | undefined {
    if ('all' in condition || 'any' in condition) {
      const all = 'all' in condition;
      const list = all ? condition.all : condition.any;
      if (!all && list.length === 0) throw new Error('a condition that never holds has no expression');
      const parts = list.map((c) => this.compile(c));
      // An alternative that always holds makes the disjunction hold; in a conjunction it is left out.
      if (!all && parts.some((p) => p === undefined)) return undefined;
      const defined = parts.filter((p) => p !== undefined);
      if (defined.length === 0) return undefined;
      if (defined.length === 1) return defined[0];
      const text = defined.map((p) => (p.compound ? `(${p.text})` : p.text)).join(all ? ' AND ' : ' OR ');
      return { text, compound: true };
    }
    if ('absent' in condition)
      return { text: `attribute_not_exists(${this.name(condition.absent)})`, compound: false };
    if ('present' in condition)
      return { text: `attribute_exists(${this.name(condition.present)})`, compound: false };
    if ('sizeBelow' in condition) {
      const name = this.name(condition.sizeBelow);
      return {
        text: `attribute_not_exists(${name}) OR size(${name}) < ${this.value(condition.value)}`,
        compound: true,
      };
    }
    return {
      text: `${this.name(condition.attribute)} ${condition.op} ${this.value(condition.value)}`,
      compound: false,
    };
  }

  /** The update expression of a change, with `always` written first. */
  update(change: Change): string {
    const set = Object.entries(change.set ?? {})
      .filter(([, value]) => value !== undefined)
      .map(([attribute, value]) => `${this.name(attribute)} = ${this.value(value)}`);
    const add = Object.entries(change.add ?? {}).map(
      ([attribute, elements]) => `${this.name(attribute)} ${this.value(new Set(elements))}`,
    );
    const remove = (change.remove ?? []).map((attribute) => this.name(attribute));
    return [
      set.length ? `SET ${set.join(', ')}` : '',
      add.length ? `ADD ${add.join(', ')}` : '',
      remove.length ? `REMOVE ${remove.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' ');
  }

  /**
   * The placeholders, for the command (DynamoDB refuses empty maps). Built with plain loops: spreading
   * `Object.fromEntries` results cost several times as much, on every write of every delivery.
   */
  attributes(): {
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  } {
    const out: ReturnType<Expressions['attributes']> = {};
    if (this.names.size > 0) {
      const names: Record<string, string> = {};
      for (const [attribute, placeholder] of this.names) names[placeholder] = attribute;
      out.ExpressionAttributeNames = names;
    }
    if (this.values.size > 0) {
      const values: Record<string, unknown> = {};
      for (const [placeholder, value] of this.values) values[placeholder] = value;
      out.ExpressionAttributeValues = values;
    }
    return out;
  }
}
