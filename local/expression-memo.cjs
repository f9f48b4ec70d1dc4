// Memoized expression parsing for the embedded engine (dynalite). Under load about a third of the engine's
// CPU went to its PEG parsers, re-parsing the same few condition and update expressions on every write
// (the store builds them from a handful of templates; only the values change). This keeps dynalite's exact
// semantics: a parse is reused only for a request that dynalite would parse to the same tree, and the
// values of the request at hand are put into that tree.
//
// What a parse depends on (read from dynalite/db/*Parser.js): the parser, the expression, the names map,
// which value placeholders exist and the type of each value, `isKeyCondition`, and, in two places only,
// a value's content (BETWEEN compares its bounds; attribute_type reads its type name). So:
// - the key holds the parser, `isKeyCondition`, the expression, the names map as sent, and each value's
//   placeholder with its type tags, never a value's content: two requests share a tree only when
//   everything dynalite reads to build it is equal;
// - an expression that names BETWEEN or attribute_type anywhere is never memoized;
// - an error (a thrown parse) is never memoized: it is parsed again, and reported as dynalite reports it;
// - a tree is memoized only if the request's values appear in it as whole objects (as `resolveAttrVal`
//   puts them) and nothing else in it comes from a value; a request that hits gets a fresh copy of the
//   tree with its own value objects in those places, so no two requests ever share a value or a node;
// - the placeholders a parse used are recorded against a private copy of the "unused" sets and then
//   taken off the request's own sets, so the "unused in expressions" check sees what a real parse does.
'use strict';

const MAX_ENTRIES = 2000;
const VALUE_CONTENT = /between|attribute_type/i;

/** The memo for one parser module (`{ parse }`); returns the parse function to install in its place. */
function memoizedParse(name, parse) {
  const memo = new Map();
  const uncacheable = new Set();

  return function parseWithMemo(input, options) {
    const context = options && options.context;
    if (!context || typeof input !== 'string' || VALUE_CONTENT.test(input)) return parse(input, options);
    const key = keyOf(name, input, context);
    if (key === undefined || uncacheable.has(key)) return parse(input, options);

    const hit = memo.get(key);
    if (hit) {
      for (const used of hit.names) if (context.unusedAttrNames) delete context.unusedAttrNames[used];
      for (const used of hit.values) if (context.unusedAttrVals) delete context.unusedAttrVals[used];
      return copyWith(hit.tree, valueSwap(hit.valueKeys, hit.valueObjects, context.attrVals));
    }

    // A miss: parse against private copies of the unused sets, to learn which placeholders this
    // expression uses whatever was parsed before it in the same request.
    const names = fullSet(context.attrNames);
    const values = fullSet(context.attrVals);
    const tree = parse(input, {
      ...options,
      context: { ...context, unusedAttrNames: names, unusedAttrVals: values },
    });
    const usedNames = Object.keys(context.attrNames || {}).filter((k) => !(k in names));
    const usedValues = Object.keys(context.attrVals || {}).filter((k) => !(k in values));
    for (const used of usedNames) if (context.unusedAttrNames) delete context.unusedAttrNames[used];
    for (const used of usedValues) if (context.unusedAttrVals) delete context.unusedAttrVals[used];

    const valueKeys = Object.keys(context.attrVals || {});
    const valueObjects = valueKeys.map((k) => context.attrVals[k]);
    if (!onlyWholeValues(tree, valueObjects)) {
      uncacheable.add(key);
      return tree;
    }
    if (memo.size >= MAX_ENTRIES) memo.clear();
    // The stored tree is a copy: whatever dynalite later does to the tree it was handed stays there.
    const identity = new Map(valueObjects.map((v) => [v, v]));
    memo.set(key, {
      tree: copyWith(tree, identity),
      names: usedNames,
      values: usedValues,
      valueKeys,
      valueObjects,
    });
    return tree;
  };
}

/** Everything the parse reads besides a value's content; undefined for input it would not be worth keying. */
function keyOf(name, input, context) {
  const values = context.attrVals;
  let types = '';
  if (values != null) {
    if (typeof values !== 'object') return undefined;
    for (const k of Object.keys(values)) {
      const v = values[k];
      if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
      types += `${JSON.stringify(k)}:${Object.keys(v)
        .filter((t) => v[t] != null)
        .join('+')};`;
    }
  }
  return JSON.stringify([name, Boolean(context.isKeyCondition), input, context.attrNames ?? null, types]);
}

function fullSet(map) {
  const set = Object.create(null);
  for (const k of Object.keys(map || {})) set[k] = true;
  return set;
}

/** The memoized request's value objects mapped to the current request's, placeholder by placeholder. */
function valueSwap(keys, from, values) {
  const swap = new Map();
  keys.forEach((k, i) => swap.set(from[i], values[k]));
  return swap;
}

/** True when every value in the tree is a whole value object, and no part of a value appears on its own. */
function onlyWholeValues(tree, valueObjects) {
  const whole = new Set(valueObjects);
  const parts = new Set();
  const collect = (node) => {
    if (!node || typeof node !== 'object' || parts.has(node)) return;
    parts.add(node);
    for (const k of Object.keys(node)) collect(node[k]);
  };
  for (const v of valueObjects) for (const k of Object.keys(v)) collect(v[k]);
  const seen = new Set();
  const plain = (node) => {
    if (node === null || typeof node !== 'object') return true;
    if (whole.has(node)) return true;
    if (parts.has(node)) return false;
    const proto = Object.getPrototypeOf(node);
    if (proto !== null && proto !== Object.prototype && proto !== Array.prototype) return false;
    if (seen.has(node)) return true;
    seen.add(node);
    return Object.keys(node).every((k) => plain(node[k]));
  };
  return plain(tree);
}

/** A deep copy of a plain tree (arrays, plain and null-prototype objects), with `swap`'s keys replaced. */
function copyWith(tree, swap) {
  const copies = new Map();
  const copy = (node) => {
    if (node === null || typeof node !== 'object') return node;
    if (swap.has(node)) return swap.get(node);
    const done = copies.get(node);
    if (done) return done;
    const out = Array.isArray(node) ? new Array(node.length) : Object.create(Object.getPrototypeOf(node));
    copies.set(node, out);
    for (const k of Object.keys(node)) out[k] = copy(node[k]);
    return out;
  };
  return copy(tree);
}

let installed = false;

/** Installs the memo on dynalite's condition, update and projection parsers (once per process). */
function installExpressionMemo() {
  if (installed) return;
  installed = true;
  for (const name of ['conditionParser', 'updateParser', 'projectionParser']) {
    const parser = require(`dynalite/db/${name}`);
    parser.parse = memoizedParse(name, parser.parse);
  }
}

module.exports = { installExpressionMemo, memoizedParse };
