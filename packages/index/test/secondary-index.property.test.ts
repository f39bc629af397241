import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SecondaryIndex,
  UniqueConstraintError,
  compareKeys,
  type IndexKey,
  type RangeBounds,
} from '../src/index.js';

/**
 * Random add/remove/update sequences, with queries in between, against a
 * naive model that scans every document: both must give the same answer to
 * every query kind, and the persisted form must answer the same again.
 */

interface Doc {
  k: IndexKey | IndexKey[] | undefined;
}

const KEYS: IndexKey[] = [null, false, true, -1.5, 0, 1, 2, '', '0', '1', 'a', 'ab', 'abc', 'b'];
const key = fc.constantFrom(...KEYS);
const doc: fc.Arbitrary<Doc> = fc.record({
  k: fc.oneof(key, fc.array(key, { maxLength: 3 }), fc.constant(undefined)),
});
const id = fc.constantFrom('d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7');
const classOf = (k: IndexKey): string => (k === null ? 'null' : typeof k);
const bound = fc.option(key, { nil: undefined });
const bounds: fc.Arbitrary<RangeBounds> = fc
  .record({ gt: bound, gte: bound, lt: bound, lte: bound })
  .map((b) => {
    // Keep only bounds of the first given bound's class: mixed classes are an error.
    const first = [b.gt, b.gte, b.lt, b.lte].find((v) => v !== undefined);
    const same = (v: IndexKey | undefined): IndexKey | undefined =>
      v !== undefined && first !== undefined && classOf(v) === classOf(first) ? v : undefined;
    return { gt: same(b.gt), gte: same(b.gte), lt: same(b.lt), lte: same(b.lte) };
  });

type Query =
  | { kind: 'get'; key: IndexKey }
  | { kind: 'in'; keys: IndexKey[] }
  | { kind: 'range'; bounds: RangeBounds }
  | { kind: 'prefix'; prefix: string };

type Step =
  | { op: 'put'; id: string; doc: Doc }
  | { op: 'delete'; id: string }
  | { op: 'query'; query: Query };

const query: fc.Arbitrary<Query> = fc.oneof(
  key.map((k) => ({ kind: 'get' as const, key: k })),
  fc.array(key, { maxLength: 4 }).map((keys) => ({ kind: 'in' as const, keys })),
  bounds.map((b) => ({ kind: 'range' as const, bounds: b })),
  fc
    .constantFrom('', 'a', 'ab', 'b', '0', 'z')
    .map((prefix) => ({ kind: 'prefix' as const, prefix })),
);

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('put' as const), id, doc }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), id }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('query' as const), query }) },
);

function keysOf(d: Doc): IndexKey[] {
  if (d.k === undefined) return [];
  return [...new Set(Array.isArray(d.k) ? d.k : [d.k])];
}

class Model {
  readonly docs = new Map<string, Doc>();

  allKeys(): IndexKey[] {
    return [...new Set([...this.docs.values()].flatMap(keysOf))].sort(compareKeys);
  }

  idsWhere(match: (k: IndexKey) => boolean): string[] {
    return [...this.docs]
      .filter(([, d]) => keysOf(d).some(match))
      .map(([docId]) => docId)
      .sort();
  }

  answer(q: Query): string[] {
    switch (q.kind) {
      case 'get':
        return this.idsWhere((k) => compareKeys(k, q.key) === 0);
      case 'in':
        return this.idsWhere((k) => q.keys.some((other) => compareKeys(k, other) === 0));
      case 'prefix':
        return this.idsWhere((k) => typeof k === 'string' && k.startsWith(q.prefix));
      case 'range': {
        const { gt, gte, lt, lte } = q.bounds;
        const given = [gt, gte, lt, lte].find((v) => v !== undefined);
        return this.idsWhere(
          (k) =>
            (given === undefined || classOf(k) === classOf(given)) &&
            (gt === undefined || compareKeys(k, gt) > 0) &&
            (gte === undefined || compareKeys(k, gte) >= 0) &&
            (lt === undefined || compareKeys(k, lt) < 0) &&
            (lte === undefined || compareKeys(k, lte) <= 0),
        );
      }
    }
  }

  /** The id that already holds one of `d`'s keys, for a unique index. */
  conflict(docId: string, d: Doc): string | undefined {
    for (const k of keysOf(d)) {
      for (const [other, otherDoc] of this.docs) {
        if (other !== docId && keysOf(otherDoc).some((x) => compareKeys(x, k) === 0)) return other;
      }
    }
    return undefined;
  }
}

function ask(index: SecondaryIndex<Doc>, q: Query): string[] {
  switch (q.kind) {
    case 'get':
      return index.get(q.key);
    case 'in':
      return index.in(q.keys);
    case 'prefix':
      return index.prefix(q.prefix);
    case 'range':
      return index.range(q.bounds);
  }
}

function run(steps: Step[], unique: boolean): void {
  const options = { name: 'model', key: (d: Doc) => d.k, unique };
  const index = new SecondaryIndex<Doc>(options);
  const model = new Model();
  for (const s of steps) {
    if (s.op === 'put') {
      const holder = unique ? model.conflict(s.id, s.doc) : undefined;
      if (holder === undefined) {
        index.update(s.id, model.docs.get(s.id), s.doc);
        model.docs.set(s.id, s.doc);
      } else {
        expect(() => index.update(s.id, model.docs.get(s.id), s.doc)).toThrow(
          UniqueConstraintError,
        );
      }
    } else if (s.op === 'delete') {
      const old = model.docs.get(s.id);
      if (old !== undefined) index.remove(s.id, old);
      model.docs.delete(s.id);
    } else {
      expect(ask(index, s.query)).toEqual(model.answer(s.query));
    }
  }
  expect(index.keys()).toEqual(model.allKeys());
  expect(index.verify(model.docs)).toEqual({ ok: true, missing: [], extra: [] });
  const restored = SecondaryIndex.fromJSON(JSON.parse(JSON.stringify(index)), options);
  for (const k of KEYS) {
    expect(restored.get(k)).toEqual(model.answer({ kind: 'get', key: k }));
    expect(index.count(k)).toBe(model.answer({ kind: 'get', key: k }).length);
  }
  expect(restored.keys()).toEqual(model.allKeys());
}

describe('SecondaryIndex against a naive model', () => {
  it('non-unique: same answers for get, in, range and prefix after any sequence', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => run(steps, false)),
      { numRuns: 300 },
    );
  });

  it('unique: violations throw exactly when the model says, and change nothing', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => run(steps, true)),
      { numRuns: 300 },
    );
  });

  it('rebuild from the model gives the same index as the sequence of writes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(id, doc), { maxLength: 30 }), (puts) => {
        const docs = new Map(puts);
        const incremental = new SecondaryIndex<Doc>({ name: 'm', key: (d) => d.k });
        for (const [docId, d] of docs) incremental.add(docId, d);
        const rebuilt = new SecondaryIndex<Doc>({ name: 'm', key: (d) => d.k });
        rebuilt.rebuild(docs);
        expect(JSON.stringify(rebuilt)).toBe(JSON.stringify(incremental));
      }),
    );
  });
});
