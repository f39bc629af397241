import { afterEach, describe, expect, test, vi } from 'vitest';
import type { CacheTier } from '../src/index.js';

export type Doc = { n: number } | null;

/**
 * The `CacheTier` contract, run against every implementation. Prefix and
 * tag invalidation are tested where the tier has them (its capabilities),
 * never by its class.
 */
export function tierConformance(name: string, create: () => CacheTier<Doc>): void {
  describe(`CacheTier conformance: ${name}`, () => {
    afterEach(() => vi.useRealTimers());

    test('a missing key reads as undefined', async () => {
      expect(await create().get('nope')).toBeUndefined();
    });

    test('set then get returns the value; null is a value', async () => {
      const tier = create();
      await tier.set('a', { n: 1 });
      await tier.set('b', null);
      expect(await tier.get('a')).toEqual({ n: 1 });
      expect(await tier.get('b')).toBeNull();
    });

    test('set replaces the value', async () => {
      const tier = create();
      await tier.set('a', { n: 1 });
      await tier.set('a', { n: 2 });
      expect(await tier.get('a')).toEqual({ n: 2 });
    });

    test('delete removes one entry and says whether there was one', async () => {
      const tier = create();
      await tier.set('a', { n: 1 });
      await tier.set('b', { n: 2 });
      expect(await tier.delete('a')).toBe(true);
      expect(await tier.delete('a')).toBe(false);
      expect(await tier.get('a')).toBeUndefined();
      expect(await tier.get('b')).toEqual({ n: 2 });
    });

    test('clear removes every entry', async () => {
      const tier = create();
      await tier.set('a', { n: 1 });
      await tier.set('b', { n: 2 });
      await tier.clear();
      expect(await tier.get('a')).toBeUndefined();
      expect(await tier.get('b')).toBeUndefined();
    });

    test('an entry set with a ttl is gone once it has passed', async () => {
      vi.useFakeTimers();
      const tier = create();
      await tier.set('a', { n: 1 }, { ttl: 1_000 });
      await tier.set('b', { n: 2 });
      vi.advanceTimersByTime(999);
      expect(await tier.get('a')).toEqual({ n: 1 });
      vi.advanceTimersByTime(2);
      expect(await tier.get('a')).toBeUndefined();
      expect(await tier.get('b')).toEqual({ n: 2 });
    });

    test('invalidatePrefix removes exactly the keys with the prefix', async (context) => {
      const tier = create();
      if (tier.invalidatePrefix === undefined) return context.skip();
      await tier.set('query:status=open', { n: 1 });
      await tier.set('query:status=done', { n: 2 });
      await tier.set('quer', { n: 3 });
      await tier.set('ticket:1', { n: 4 });
      expect(await tier.invalidatePrefix('query:')).toBe(2);
      expect(await tier.get('query:status=open')).toBeUndefined();
      expect(await tier.get('query:status=done')).toBeUndefined();
      expect(await tier.get('quer')).toEqual({ n: 3 });
      expect(await tier.get('ticket:1')).toEqual({ n: 4 });
    });

    test('invalidateTags removes the entries carrying any of the tags', async (context) => {
      const tier = create();
      if (tier.invalidateTags === undefined) return context.skip();
      await tier.set('epic:E1', { n: 1 }, { tags: ['T1', 'T2'] });
      await tier.set('epic:E2', { n: 2 }, { tags: ['T3'] });
      await tier.set('graph:P1', { n: 3 }, { tags: ['T2', 'T3'] });
      await tier.set('plain', { n: 4 });
      expect(await tier.invalidateTags('T1')).toBe(1);
      expect(await tier.get('epic:E1')).toBeUndefined();
      expect(await tier.get('graph:P1')).toEqual({ n: 3 });
      expect(await tier.invalidateTags(['T3', 'nothing'])).toBe(2);
      expect(await tier.get('epic:E2')).toBeUndefined();
      expect(await tier.get('graph:P1')).toBeUndefined();
      expect(await tier.get('plain')).toEqual({ n: 4 });
    });

    test('replacing an entry replaces its tags', async (context) => {
      const tier = create();
      if (tier.invalidateTags === undefined) return context.skip();
      await tier.set('a', { n: 1 }, { tags: ['old'] });
      await tier.set('a', { n: 2 }, { tags: ['new'] });
      expect(await tier.invalidateTags('old')).toBe(0);
      expect(await tier.get('a')).toEqual({ n: 2 });
      expect(await tier.invalidateTags('new')).toBe(1);
      expect(await tier.get('a')).toBeUndefined();
    });
  });
}
