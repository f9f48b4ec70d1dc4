import { Expressions } from '../lambda/adapters/store/expressions';

/**
 * Placeholders come from a table made once (`expressions.ts`); a change with more attributes than the
 * table holds must still get one distinct placeholder per name and per value, each in the expression.
 */
test('a change with more attributes than the placeholder table still names each one once', () => {
  const set = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`attribute_${i}`, i]));
  const x = new Expressions();
  const update = x.update({ set });
  const { ExpressionAttributeNames = {}, ExpressionAttributeValues = {} } = x.attributes();
  expect(Object.keys(ExpressionAttributeNames)).toHaveLength(70);
  expect(Object.keys(ExpressionAttributeValues)).toHaveLength(70);
  expect(new Set(Object.values(ExpressionAttributeNames))).toEqual(new Set(Object.keys(set)));
  for (const [placeholder, attribute] of Object.entries(ExpressionAttributeNames)) {
    const value = Object.entries(ExpressionAttributeValues).find(([, v]) => v === set[attribute])?.[0];
    expect(update).toContain(`${placeholder} = ${value}`);
  }
  expect(ExpressionAttributeNames['#n69']).toBe('attribute_69');
});
