import { applyChange, applyRegisters, cond, evaluate, type Item } from '../lambda/core/conditions';

/** DynamoDB's condition semantics, executed in memory (core/conditions.ts): what the in-memory stores obey. */
const item: Item = { n: 5, s: 'b', tags: new Set(['x', 'y']) };

describe('conditions', () => {
  it('compare numbers with each operator, both sides of the boundary', () => {
    const holds = (op: keyof typeof cond, value: number) =>
      evaluate(item, (cond[op] as (a: string, v: number) => ReturnType<typeof cond.eq>)('n', value));
    expect([4, 5, 6].map((v) => holds('eq', v))).toEqual([false, true, false]);
    expect([4, 5, 6].map((v) => holds('ne', v))).toEqual([true, false, true]);
    expect([4, 5, 6].map((v) => holds('lt', v))).toEqual([false, false, true]);
    expect([4, 5, 6].map((v) => holds('le', v))).toEqual([false, true, true]);
    expect([4, 5, 6].map((v) => holds('gt', v))).toEqual([true, false, false]);
    expect([4, 5, 6].map((v) => evaluate(item, { attribute: 'n', op: '>=', value: v }))).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('compare strings by code unit (ISO timestamps in time order)', () => {
    expect(evaluate(item, cond.lt('s', 'c'))).toBe(true);
    expect(evaluate(item, cond.lt('s', 'a'))).toBe(false);
    expect(evaluate(item, cond.gt('s', 'B'))).toBe(true);
    expect(evaluate({ t: '2026-04-23T13:00:00.000000Z' }, cond.lt('t', '2026-04-23T13:00:00.000001Z'))).toBe(
      true,
    );
  });

  it('a comparison with a missing attribute is false, except that <> holds only for a present other-typed value', () => {
    for (const c of [cond.eq('m', 1), cond.lt('m', 1), cond.le('m', 1), cond.gt('m', 1), cond.ne('m', 1)])
      expect(evaluate(item, c)).toBe(false);
    expect(evaluate(undefined, cond.eq('n', 5))).toBe(false);
    // A number compared with a string: only "not equal" holds, as in DynamoDB.
    expect(evaluate(item, cond.ne('n', '5'))).toBe(true);
    expect(evaluate(item, cond.eq('n', '5'))).toBe(false);
    expect(evaluate(item, cond.lt('n', '9'))).toBe(false);
  });

  it('absent and present look at the attribute, on a missing item too', () => {
    expect(evaluate(item, cond.absent('m'))).toBe(true);
    expect(evaluate(item, cond.absent('n'))).toBe(false);
    expect(evaluate(item, cond.present('n'))).toBe(true);
    expect(evaluate(item, cond.present('m'))).toBe(false);
    expect(evaluate(undefined, cond.absent('n'))).toBe(true);
    expect(evaluate(undefined, cond.present('n'))).toBe(false);
  });

  it('sizeBelow counts a set, a missing set as empty', () => {
    expect(evaluate(item, cond.sizeBelow('tags', 3))).toBe(true);
    expect(evaluate(item, cond.sizeBelow('tags', 2))).toBe(false);
    expect(evaluate(item, cond.sizeBelow('none', 1))).toBe(true);
    expect(evaluate(item, cond.sizeBelow('none', 0))).toBe(false);
    expect(evaluate(item, cond.sizeBelow('n', 1))).toBe(true);
  });

  it('all needs every part, any one part; always holds, an empty any never', () => {
    const yes = cond.eq('n', 5);
    const no = cond.eq('n', 6);
    expect([evaluate(item, cond.all(yes, yes)), evaluate(item, cond.all(yes, no))]).toEqual([true, false]);
    expect([evaluate(item, cond.any(no, yes)), evaluate(item, cond.any(no, no))]).toEqual([true, false]);
    expect(evaluate(undefined, cond.always())).toBe(true);
    expect(evaluate(item, cond.any())).toBe(false);
  });
});

describe('changes', () => {
  it('set, add to sets and remove, on a copy; undefined values are dropped as the document client does', () => {
    const before: Item = { pk: 'old', a: 1, b: 2, tags: new Set(['x']) };
    const after = applyChange(
      before,
      { pk: 'P', sk: 'S' },
      {
        set: { a: 10, c: undefined, d: 'd' },
        add: { tags: new Set(['y']), fresh: new Set(['z']) },
        remove: ['b'],
      },
    );
    expect(after).toEqual({
      pk: 'P',
      sk: 'S',
      a: 10,
      d: 'd',
      tags: new Set(['x', 'y']),
      fresh: new Set(['z']),
    });
    expect('c' in after).toBe(false);
    expect(before).toEqual({ pk: 'old', a: 1, b: 2, tags: new Set(['x']) });
  });

  it('never shares a set with the rule that wrote it', () => {
    const written = new Set(['a']);
    const after = applyChange(undefined, { pk: 'P' }, { set: { s: written }, add: { t: written } });
    expect(after.s).toEqual(new Set(['a']));
    expect(after.s).not.toBe(written);
    expect(after.t).not.toBe(written);
    written.add('b');
    expect(after).toEqual({ pk: 'P', s: new Set(['a']), t: new Set(['a']) });
  });

  it('applies every register whose condition holds on the item as it was, with the always part; none moving is undefined', () => {
    const update = {
      key: { pk: 'P', sk: 'S' },
      always: { entity: 'x' },
      registers: [
        { name: 'state', when: cond.lt('rank', 2), set: { rank: 2 }, remove: ['old'] },
        { name: 'time', when: cond.absent('at'), set: { at: 't' }, add: { seen: new Set(['e']) } },
        { name: 'never', when: cond.eq('rank', 99), set: { never: true } },
      ],
    };
    expect(applyRegisters({ pk: 'P', sk: 'S', rank: 1, old: 1 }, update)).toEqual({
      pk: 'P',
      sk: 'S',
      entity: 'x',
      rank: 2,
      at: 't',
      seen: new Set(['e']),
    });
    expect(applyRegisters({ rank: 5, at: 't' }, update)).toBeUndefined();
    expect(applyRegisters({ rank: 5 }, update)).toEqual({
      pk: 'P',
      sk: 'S',
      entity: 'x',
      rank: 5,
      at: 't',
      seen: new Set(['e']),
    });
  });
});
