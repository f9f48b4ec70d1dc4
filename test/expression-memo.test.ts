/* eslint-disable @typescript-eslint/no-require-imports */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';

// The engine's memoized expression parsing (local/expression-memo.cjs) against dynalite's own parse, through
// dynalite's own request validation: same answer, same errors, same "unused" checks, and a tree that holds
// the request's own values, never another request's.
type Parse = (input: string, options: unknown) => unknown;
interface ParserModule {
  parse: Parse;
}
type Data = Record<string, unknown>;

const validations = require('dynalite/validations') as {
  validateExpressions(data: Data): string | undefined;
};
const parsers = Object.fromEntries(
  ['conditionParser', 'updateParser', 'projectionParser'].map((name) => [
    name,
    require(`dynalite/db/${name}`) as ParserModule,
  ]),
);
const original = Object.fromEntries(Object.entries(parsers).map(([name, p]) => [name, p.parse]));
const { memoizedParse } = require('../local/expression-memo.cjs') as {
  memoizedParse(name: string, parse: Parse): Parse;
};

/** dynalite's validation of one request, with or without the memo (a fresh one per test). */
function validate(data: Data, memo?: Record<string, Parse>) {
  for (const [name, p] of Object.entries(parsers)) p.parse = memo?.[name] ?? (original[name] as Parse);
  try {
    const error = validations.validateExpressions(data);
    return { error, data };
  } finally {
    for (const [name, p] of Object.entries(parsers)) p.parse = original[name] as Parse;
  }
}

const newMemo = () =>
  Object.fromEntries(Object.entries(original).map(([name, parse]) => [name, memoizedParse(name, parse)]));

const PARSED = ['_updates', '_condition', '_keyCondition', '_filter', '_projection'] as const;

/** Values in a parsed tree that are not, by identity, one of this request's value objects. */
function foreignValues(tree: unknown, values: Record<string, object>): unknown[] {
  const mine = new Set(Object.values(values));
  const foreign: unknown[] = [];
  const seen = new Set<object>();
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object' || seen.has(node) || mine.has(node)) return;
    seen.add(node);
    if (['S', 'N', 'BOOL', 'NULL', 'L', 'M'].some((type) => type in node)) return void foreign.push(node);
    for (const child of Object.values(node)) walk(child);
  };
  walk(tree);
  return foreign;
}

const value = fc.oneof(
  fc.string().map((S) => ({ S })),
  fc.integer().map((n) => ({ N: String(n) })),
  fc.boolean().map((BOOL) => ({ BOOL })),
  fc.constant({ NULL: true }),
  fc
    .array(
      fc.string().map((S) => ({ S })),
      { maxLength: 2 },
    )
    .map((L) => ({ L })),
  fc.constant({ M: { a: { S: 'x' } } }),
);

// The shapes the store sends, plus the ones whose answer depends on a value's type or content.
const requests = fc.record({
  UpdateExpression: fc.constantFrom(
    undefined,
    'SET #a = :v1, #b = if_not_exists(#b, :v2)',
    'SET #a = :v1 REMOVE #b',
    'ADD #c :v1',
    'SET #a = list_append(#a, :v1)',
    'SET #c = #c + :v2',
    'SET #a = :v1, #a = :v2',
  ),
  ConditionExpression: fc.constantFrom(
    undefined,
    'attribute_not_exists(pk)',
    'attribute_not_exists(#a) OR #a < :v2',
    '#b = :v1 AND begins_with(#a, :v2)',
    'size(#a) > :v1',
    '#a BETWEEN :v1 AND :v2',
    'attribute_type(#a, :v1)',
    '#a IN (:v1, :v2)',
    '#a = :v1 AND #zz = :v2',
  ),
  ProjectionExpression: fc.constantFrom(undefined, '#a, #b', 'pk, sk, #c'),
  names: fc.subarray(['#a', '#b', '#c'], { minLength: 0 }),
  values: fc.record({ ':v1': value, ':v2': value }, { requiredKeys: [] }),
});

type Shape = typeof requests extends fc.Arbitrary<infer T> ? T : never;

function request(r: Shape): Data {
  const data: Data = {};
  if (r.UpdateExpression) data.UpdateExpression = r.UpdateExpression;
  if (r.ConditionExpression) data.ConditionExpression = r.ConditionExpression;
  if (r.ProjectionExpression) data.ProjectionExpression = r.ProjectionExpression;
  if (r.names.length > 0)
    data.ExpressionAttributeNames = Object.fromEntries(r.names.map((n) => [n, `attr_${n.slice(1)}`]));
  if (Object.keys(r.values).length > 0) data.ExpressionAttributeValues = structuredClone(r.values);
  return data;
}

describe('memoized expression parsing in the engine', () => {
  it('answers every request exactly as dynalite does, whatever was parsed before it', () => {
    const memo = newMemo();
    fc.assert(
      fc.property(fc.array(requests, { minLength: 1, maxLength: 12 }), (batch) => {
        for (const r of batch) {
          const plain = validate(request(r));
          const memoized = validate(request(r), memo);
          expect(memoized.error).toBe(plain.error);
          for (const field of PARSED)
            expect(isDeepStrictEqual(memoized.data[field], plain.data[field])).toBe(true);
          // The tree holds this request's value objects, and no other request's.
          const values = (memoized.data.ExpressionAttributeValues ?? {}) as Record<string, object>;
          for (const field of PARSED) expect(foreignValues(memoized.data[field], values)).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reuses a parse for the same shape, with the new values in place and no node shared', () => {
    const memo = newMemo();
    const calls = { count: 0 };
    const counting = memoizedParse('updateParser', (input, options) => {
      calls.count++;
      return (original.updateParser as Parse)(input, options);
    });
    const shape = (v: string) => ({
      UpdateExpression: 'SET #a = :v1, #b = if_not_exists(#b, :v2)',
      ExpressionAttributeNames: { '#a': 'a', '#b': 'b' },
      ExpressionAttributeValues: { ':v1': { S: v }, ':v2': { N: '1' } },
    });
    const first = validate(shape('first'), { ...memo, updateParser: counting });
    const second = validate(shape('second'), { ...memo, updateParser: counting });
    expect(calls.count).toBe(1);
    const sections = (d: Data) =>
      (d._updates as { sections: Array<{ val: unknown; path: unknown }> }).sections;
    expect(sections(second.data)[0]?.val).toBe((second.data.ExpressionAttributeValues as Data)[':v1']);
    expect(sections(second.data)[0]?.val).toEqual({ S: 'second' });
    expect(sections(second.data)[0]?.path).not.toBe(sections(first.data)[0]?.path);

    // Another type is another shape: parsed again, to dynalite's own answer for it.
    const typed = validate(
      { ...shape('x'), ExpressionAttributeValues: { ':v1': { N: '5' }, ':v2': { N: '1' } } },
      { ...memo, updateParser: counting },
    );
    expect(calls.count).toBe(2);
    expect(sections(typed.data)[0]).toMatchObject({ attrType: 'N' });
  });

  it('never keeps an error or a parse that reads a value content', () => {
    const memo = newMemo();
    const between = (low: string, high: string) => ({
      ConditionExpression: '#a BETWEEN :lo AND :hi',
      ExpressionAttributeNames: { '#a': 'a' },
      ExpressionAttributeValues: { ':lo': { N: low }, ':hi': { N: high } },
    });
    expect(validate(between('1', '2'), memo).error).toBeUndefined();
    expect(validate(between('3', '2'), memo).error).toMatch(/upper bound to be greater than or equal/);

    const undefinedName = {
      ConditionExpression: 'attribute_exists(#a)',
      ExpressionAttributeNames: { '#b': 'b' },
    };
    expect(validate(undefinedName, memo).error).toMatch(
      /attribute name used in the document path is not defined/,
    );
    expect(
      validate({ ...undefinedName, ExpressionAttributeNames: { '#a': 'a' } }, memo).error,
    ).toBeUndefined();
  });

  it('takes the placeholders an expression uses off the unused sets, as a parse does', () => {
    const memo = newMemo();
    const condition = 'attribute_not_exists(#a)';
    const names = { '#a': 'a', '#b': 'b', '#c': 'c' };
    const values = { ':v': { S: 'x' }, ':w': { S: 'y' } };
    // First seen after an update that already used #a: the memo must still learn that the condition uses it.
    const first = { UpdateExpression: 'SET #a = :v, #b = :w REMOVE #c', ConditionExpression: condition };
    expect(
      validate({ ...first, ExpressionAttributeNames: names, ExpressionAttributeValues: values }, memo).error,
    ).toBeUndefined();
    // The same condition, names and values after an update that does not use #a: #a is used, by the condition.
    const second = { UpdateExpression: 'SET #b = :v, #c = :w', ConditionExpression: condition };
    const plain = validate({ ...second, ExpressionAttributeNames: names, ExpressionAttributeValues: values });
    expect(plain.error).toBeUndefined();
    expect(
      validate({ ...second, ExpressionAttributeNames: names, ExpressionAttributeValues: values }, memo).error,
    ).toBeUndefined();
    // And one that leaves #c unused, with that same condition, is still refused, as dynalite refuses it.
    const unused = { UpdateExpression: 'SET #a = :v, #b = :w', ConditionExpression: condition };
    expect(
      validate({ ...unused, ExpressionAttributeNames: names, ExpressionAttributeValues: values }, memo).error,
    ).toMatch(/unused in expressions: keys: \{#c\}/);
  });
});
