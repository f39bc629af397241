/** A value a secondary index can be keyed by. */
export type IndexKey = string | number | boolean | null;

/** The type classes of keys, in the order they sort in: null, booleans, numbers, strings. */
export type KeyClass = 'null' | 'boolean' | 'number' | 'string';

const RANK: Readonly<Record<KeyClass, number>> = { null: 0, boolean: 1, number: 2, string: 3 };

/** Position of a key class in the order of classes. */
export function classRank(type: KeyClass): number {
  return RANK[type];
}

export function keyClass(key: IndexKey): KeyClass {
  if (key === null) return 'null';
  return typeof key as KeyClass;
}

/**
 * The total order of keys: `null < false < true < numbers < strings`; numbers
 * by value, strings by UTF-16 code units (the order of `Array.prototype.sort`).
 * Every process sorts the same keys the same way, whatever its locale.
 */
export function compareKeys(a: IndexKey, b: IndexKey): number {
  const rankA = RANK[keyClass(a)];
  const rankB = RANK[keyClass(b)];
  if (rankA !== rankB) return rankA - rankB;
  // Same class: null === null, and booleans, numbers and strings all order with `<`.
  return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
}

/**
 * Why `value` cannot be a key, or `undefined` when it can. NaN has no place in
 * an order and infinities have no JSON form, so both are refused.
 */
export function keyProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${String(value)} is not a finite number`;
    case 'object':
      if (value === null) return undefined;
      return Array.isArray(value) ? 'nested arrays are not keys' : 'objects are not keys';
    default:
      return `a ${typeof value} is not a key`;
  }
}

/** `-0` and `0` are one key (as in a `Map`); keep the one that prints as `0`. */
export function normalizeKey(key: IndexKey): IndexKey {
  return key === 0 ? 0 : key;
}

/**
 * Distinct `keys` in the order of {@link compareKeys}, faster than sorting with it:
 * each class is sorted on its own with a native comparison, then concatenated.
 */
export function sortKeys(keys: Iterable<IndexKey>): IndexKey[] {
  const booleans: boolean[] = [];
  const numbers: number[] = [];
  const strings: string[] = [];
  let hasNull = false;
  for (const key of keys) {
    if (key === null) hasNull = true;
    else if (typeof key === 'boolean') booleans.push(key);
    else if (typeof key === 'number') numbers.push(key);
    else strings.push(key);
  }
  // `false` before `true`; numbers by value; strings by code units (the default sort).
  booleans.sort((a, b) => Number(a) - Number(b));
  numbers.sort((a, b) => a - b);
  strings.sort();
  const sorted: IndexKey[] = hasNull ? [null] : [];
  return sorted.concat(booleans, numbers, strings);
}
