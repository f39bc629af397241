import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareKeys, type IndexKey } from '../src/index.js';
import { keyProblem, normalizeKey, sortKeys } from '../src/key-order.js';

const anyKey: fc.Arbitrary<IndexKey> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => normalizeKey(n)),
  fc.integer({ min: -5, max: 5 }),
  fc.string(),
);

describe('compareKeys', () => {
  it('orders classes null < false < true < numbers < strings', () => {
    const keys: IndexKey[] = ['a', 10, true, null, '10', -1, false, '', 2.5];
    expect([...keys].sort(compareKeys)).toEqual([null, false, true, -1, 2.5, 10, '', '10', 'a']);
  });

  it('orders numbers by value and strings by code units, whatever the locale', () => {
    expect([10, 9, -0.5, 100].sort(compareKeys)).toEqual([-0.5, 9, 10, 100]);
    expect(['b', 'B', 'a', 'é', 'e', 'Z'].sort(compareKeys)).toEqual([
      'B',
      'Z',
      'a',
      'b',
      'e',
      'é',
    ]);
  });

  it('is a total order: antisymmetric, transitive, and one sorted result for any input order', () => {
    const keysAndPermutation = fc
      .array(anyKey)
      .chain((keys) =>
        fc.tuple(
          fc.constant(keys),
          fc.shuffledSubarray(keys, { minLength: keys.length, maxLength: keys.length }),
        ),
      );
    fc.assert(
      fc.property(keysAndPermutation, ([keys, permuted]) => {
        const once = [...keys].sort(compareKeys);
        expect([...permuted].sort(compareKeys)).toEqual(once);
        for (let i = 1; i < once.length; i++) {
          expect(compareKeys(once[i - 1] as IndexKey, once[i] as IndexKey)).toBeLessThanOrEqual(0);
        }
      }),
    );
    fc.assert(
      fc.property(anyKey, anyKey, (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(-Math.sign(compareKeys(b, a)) || 0);
      }),
    );
  });
});

describe('keyProblem', () => {
  it('accepts strings, finite numbers, booleans and null', () => {
    for (const key of ['', 'x', 0, -1.5, 1e300, true, false, null]) {
      expect(keyProblem(key)).toBeUndefined();
    }
  });

  it('refuses NaN, infinities, objects, arrays, undefined, bigint and symbols', () => {
    for (const value of [NaN, Infinity, -Infinity, {}, [1], undefined, 1n, Symbol('s')]) {
      expect(keyProblem(value)).toEqual(expect.any(String));
    }
  });
});

describe('sortKeys', () => {
  it('gives the order of compareKeys', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(anyKey, { comparator: (a, b) => compareKeys(a, b) === 0 }),
        (keys) => {
          expect(sortKeys(keys)).toEqual([...keys].sort(compareKeys));
        },
      ),
    );
  });
});
