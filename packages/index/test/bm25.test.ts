import { describe, expect, it } from 'vitest';
import { DEFAULT_BM25, idf, termScore } from '../src/bm25.js';

describe('BM25', () => {
  it('idf: rarer terms weigh more, and never below zero', () => {
    expect(idf(100, 1)).toBeGreaterThan(idf(100, 10));
    expect(idf(100, 100)).toBeGreaterThan(0);
    expect(idf(1, 1)).toBeCloseTo(Math.log(1 + 0.5 / 1.5));
  });

  it('term frequency saturates: more occurrences add less and less, capped at idf x (k1 + 1)', () => {
    const at = (tf: number): number => termScore(1, tf, 10, 10, DEFAULT_BM25);
    expect(at(2) - at(1)).toBeGreaterThan(at(3) - at(2));
    expect(at(1000)).toBeLessThan(DEFAULT_BM25.k1 + 1);
    expect(at(1)).toBeCloseTo(1); // tf 1 at the average length scores exactly idf
  });

  it('longer documents score lower for the same frequency; b = 0 ignores length', () => {
    expect(termScore(1, 1, 5, 10, DEFAULT_BM25)).toBeGreaterThan(
      termScore(1, 1, 50, 10, DEFAULT_BM25),
    );
    const flat = { k1: 1.2, b: 0 };
    expect(termScore(1, 1, 5, 10, flat)).toBe(termScore(1, 1, 50, 10, flat));
  });
});
