import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FullTextIndex, Tokenizer } from '../src/index.js';

/**
 * Random add/remove sequences against a naive BM25 computed from scratch over
 * the current documents: the incremental index (and its persisted form) must
 * find the same documents with the same scores.
 */

interface Doc {
  title: string;
  body: string;
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'Alpha', 'BÉTA', 'a', 'the', 'x1'];
const text = fc.array(fc.constantFrom(...WORDS), { maxLength: 6 }).map((w) => w.join(' '));
const doc = fc.record({ title: text, body: text });
const key = fc.tuple(
  fc.constantFrom('d1', 'd2', 'd3', 'd4', 'd5'),
  fc.constantFrom('tickets', 'epics'),
);
type Step =
  { op: 'add'; id: string; kind: string; doc: Doc } | { op: 'remove'; id: string; kind: string };
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(key, doc)
      .map(([[id, kind], d]) => ({ op: 'add' as const, id, kind, doc: d })),
  },
  { weight: 1, arbitrary: key.map(([id, kind]) => ({ op: 'remove' as const, id, kind })) },
);
const options = { fields: [{ name: 'title', weight: 2 }, 'body'] };

function naiveScores(
  docs: Map<string, Doc>,
  query: string,
  tokenizer: Tokenizer,
): Map<string, number> {
  const stats = new Map<string, { tf: Map<string, number>; length: number }>();
  for (const [ref, d] of docs) {
    const tf = new Map<string, number>();
    let length = 0;
    for (const [field, weight] of [
      [d.title, 2],
      [d.body, 1],
    ] as const) {
      const terms = tokenizer.tokenize(field);
      length += terms.length * weight;
      for (const term of terms) tf.set(term, (tf.get(term) ?? 0) + weight);
    }
    if (tf.size > 0) stats.set(ref, { tf, length });
  }
  const n = stats.size;
  const avg = [...stats.values()].reduce((sum, s) => sum + s.length, 0) / n;
  const scores = new Map<string, number>();
  for (const term of new Set(tokenizer.tokenize(query))) {
    const df = [...stats.values()].filter((s) => s.tf.has(term)).length;
    const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    for (const [ref, s] of stats) {
      const tf = s.tf.get(term);
      if (tf === undefined) continue;
      const score = (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * s.length) / avg));
      scores.set(ref, (scores.get(ref) ?? 0) + score);
    }
  }
  return scores;
}

function asMap(index: FullTextIndex<Doc>, query: string): Map<string, number> {
  return new Map(index.search(query).map((hit) => [`${hit.kind}/${hit.id}`, hit.score]));
}

describe('FullTextIndex against a naive BM25', () => {
  it('same hits and scores after any add/remove sequence, before and after a JSON round trip', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), text, (steps, query) => {
        const index = new FullTextIndex<Doc>(options);
        const docs = new Map<string, Doc>();
        for (const s of steps) {
          if (s.op === 'add') {
            index.add(s.id, s.kind, s.doc);
            docs.set(`${s.kind}/${s.id}`, s.doc);
          } else {
            index.remove(s.id, s.kind);
            docs.delete(`${s.kind}/${s.id}`);
          }
        }
        const expected = naiveScores(docs, query, index.tokenizer);
        const restored = FullTextIndex.fromJSON(JSON.parse(JSON.stringify(index)), options);
        for (const actual of [asMap(index, query), asMap(restored, query)]) {
          expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
          for (const [ref, score] of expected) expect(actual.get(ref)).toBeCloseTo(score, 9);
        }
        expect(restored.documentCount).toBe(index.documentCount);
      }),
      { numRuns: 300 },
    );
  });
});
