import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intersectSorted, unionSorted } from '../src/index.js';
import {
  differenceSorted,
  insertSorted,
  lowerBound,
  removeSorted,
  sortUnique,
} from '../src/sorted-ids.js';

const sortedIds = fc
  .uniqueArray(fc.oneof(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.string()))
  .map((ids) => ids.sort());

describe('insertSorted / removeSorted', () => {
  it('keep the array sorted and without duplicates', () => {
    const ids: string[] = [];
    for (const id of ['m', 'a', 'z', 'm', 'b']) insertSorted(ids, id);
    expect(ids).toEqual(['a', 'b', 'm', 'z']);
    expect(insertSorted(ids, 'b')).toBe(false);
    expect(removeSorted(ids, 'm')).toBe(true);
    expect(removeSorted(ids, 'm')).toBe(false);
    expect(ids).toEqual(['a', 'b', 'z']);
  });

  it('finds positions by binary search', () => {
    expect(lowerBound(['a', 'c', 'e'], 'd')).toBe(2);
    expect(lowerBound(['a', 'c', 'e'], 'c')).toBe(1);
    expect(lowerBound(['a', 'c', 'e'], 'c', 2)).toBe(2);
    expect(lowerBound([], 'x')).toBe(0);
  });
});

describe('sortUnique', () => {
  it('sorts and removes duplicates in place, and leaves sorted input alone', () => {
    const ids = ['tkt_1234567890', 'tkt_0987654321', 'tkt_1234567890'];
    expect(sortUnique(ids)).toBe(ids);
    expect(ids).toEqual(['tkt_0987654321', 'tkt_1234567890']);
    fc.assert(
      fc.property(fc.array(fc.string()), (input) => {
        expect(sortUnique([...input])).toEqual([...new Set(input)].sort());
      }),
    );
  });
});

describe('unionSorted / intersectSorted / differenceSorted', () => {
  it('match a Set model (few lists merge, many are sorted)', () => {
    fc.assert(
      fc.property(fc.array(sortedIds, { maxLength: 12 }), (lists) => {
        const all = lists.flat();
        expect(unionSorted(lists)).toEqual([...new Set(all)].sort());
        const common =
          lists.length === 0 ? [] : lists[0]!.filter((id) => lists.every((l) => l.includes(id)));
        expect(intersectSorted(lists)).toEqual(common);
      }),
    );
    fc.assert(
      fc.property(sortedIds, sortedIds, (a, b) => {
        expect(differenceSorted(a, b)).toEqual(a.filter((id) => !b.includes(id)));
      }),
    );
  });

  it('intersect a short list with a long one by searching, with the same answer', () => {
    const long = Array.from({ length: 10_000 }, (_, i) => `id-${String(i).padStart(5, '0')}`);
    const short = ['id-00007', 'id-04242', 'id-09999', 'zzz'];
    expect(intersectSorted([long, short])).toEqual(['id-00007', 'id-04242', 'id-09999']);
    expect(intersectSorted([short, long, long])).toEqual(['id-00007', 'id-04242', 'id-09999']);
  });

  it('return new arrays, never their inputs', () => {
    const only = ['a', 'b'];
    expect(unionSorted([only])).not.toBe(only);
    expect(intersectSorted([only])).not.toBe(only);
  });
});
