import { describe, expect, test, vi } from 'vitest';
import { MemoryCache, TieredCache, type TieredRecord } from '../src/index.js';
import { deferred, settle } from './helpers.js';
import { MapTier } from './map-tier.js';

function tiered(capabilities?: { prefix: boolean; tags: boolean }) {
  const back = new MapTier<TieredRecord<number>>(capabilities);
  const cache = new TieredCache<number>(new MemoryCache({ max: 10 }), back);
  return { cache, back };
}

describe('TieredCache', () => {
  test('writes reach both tiers; the back tier keeps the tags with the value', async () => {
    const { cache, back } = tiered();
    await cache.set('epic:E1', 40, { tags: ['ticket:T1'] });
    expect(cache.front.get('epic:E1')).toBe(40);
    expect(back.entries.get('epic:E1')?.value).toEqual({ value: 40, tags: ['ticket:T1'] });
  });

  test('a front miss is answered by the back tier and promoted, tags and all', async () => {
    const { cache, back } = tiered();
    await back.set('epic:E1', { value: 40, tags: ['ticket:T1'] });
    expect(await cache.get('epic:E1')).toBe(40);
    expect(cache.front.get('epic:E1')).toBe(40);
    // Promoted with its tags: a tag invalidation finds it in memory too.
    expect(cache.front.invalidateTags('ticket:T1')).toBe(1);
    expect(await cache.get('nope')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ backHits: 1, backMisses: 1 });
  });

  test('getOrLoad asks memory, then the back tier, then the loader, once for concurrent misses', async () => {
    const { cache, back } = tiered();
    await back.set('a', { value: 1 });
    const loader = vi.fn(async (key: string) => key.length * 10);
    expect(await cache.getOrLoad('a', loader)).toBe(1);
    expect(loader).not.toHaveBeenCalled();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => cache.getOrLoad('bb', loader)),
    );
    expect(results).toEqual(Array.from({ length: 20 }, () => 20));
    expect(loader).toHaveBeenCalledTimes(1);
    expect(cache.front.get('bb')).toBe(20);
    expect(back.entries.get('bb')?.value).toEqual({ value: 20 });
    expect(cache.stats()).toMatchObject({ loads: 1, loadErrors: 0, backHits: 1, backMisses: 1 });
  });

  test('tags derived from the loaded value reach both tiers', async () => {
    const { cache, back } = tiered();
    await cache.getOrLoad('epic:E1', () => 40, { tags: (value) => [`progress:${value}`] });
    expect(back.entries.get('epic:E1')?.value).toEqual({ value: 40, tags: ['progress:40'] });
    expect(await cache.invalidateTags('progress:40')).toBe(1);
    expect(cache.front.get('epic:E1')).toBeUndefined();
  });

  test('a failed load is cached in neither tier', async () => {
    const { cache, back } = tiered();
    await expect(cache.getOrLoad('a', () => Promise.reject(new Error('down')))).rejects.toThrow(
      'down',
    );
    expect(cache.front.get('a')).toBeUndefined();
    expect(back.entries.has('a')).toBe(false);
    expect(cache.stats()).toMatchObject({ loads: 1, loadErrors: 1 });
  });

  test('invalidation leaves memory before the promise settles', () => {
    const { cache } = tiered();
    cache.front.set('a', 1, { tags: ['t'] });
    cache.front.set('b', 2);
    cache.front.set('pre:c', 3);
    void cache.invalidateTags('t');
    void cache.delete('b');
    void cache.invalidatePrefix('pre:');
    expect(cache.front.stats().size).toBe(0);
  });

  test('a back tier that cannot invalidate by prefix or tag is cleared instead', async () => {
    const { cache, back } = tiered({ prefix: false, tags: false });
    await cache.set('epic:E1', 40, { tags: ['ticket:T1'] });
    await cache.set('other', 1);
    expect(await cache.invalidateTags('ticket:T1')).toBe(1);
    expect(back.entries.size).toBe(0);
    await cache.set('other', 1);
    expect(await cache.invalidatePrefix('epic:')).toBe(0);
    expect(back.entries.size).toBe(0);
  });

  test('a back-tier read that straddles an invalidation is not promoted', async () => {
    const { cache, back } = tiered();
    await back.set('a', { value: 1 });
    const reading = cache.get('a');
    await cache.delete('a');
    expect(await reading).toBe(1);
    expect(cache.front.get('a')).toBeUndefined();
  });

  test('a back-tier read that straddles a newer set does not overwrite it in memory', async () => {
    const { cache, back } = tiered();
    await back.set('a', { value: 1 });
    const reading = cache.get('a');
    await cache.set('a', 2);
    expect(await reading).toBe(1);
    expect(cache.front.get('a')).toBe(2);
  });

  test('a load overtaken by an invalidation is stored in neither tier', async () => {
    const { cache, back } = tiered();
    const gate = deferred<number>();
    const loading = cache.getOrLoad('epic:E1', () => gate.promise, { tags: ['ticket:T1'] });
    await settle();
    await cache.invalidateTags('ticket:T1');
    gate.resolve(40);
    expect(await loading).toBe(40);
    expect(cache.front.get('epic:E1')).toBeUndefined();
    expect(back.entries.has('epic:E1')).toBe(false);
  });

  test('an invalidation that lands while the back tier is being written is not lost', async () => {
    const front = new MemoryCache<number>({ max: 10 });
    const back = new MapTier<TieredRecord<number>>();
    const written = deferred<void>();
    const set = back.set.bind(back);
    back.set = async (...args) => {
      await written.promise;
      return set(...args);
    };
    const cache = new TieredCache<number>(front, back);
    const loading = cache.getOrLoad('a', () => 1);
    await settle();
    const invalidating = cache.delete('a'); // finds nothing in the back tier yet
    await invalidating;
    written.resolve();
    expect(await loading).toBe(1);
    expect(front.get('a')).toBeUndefined();
    expect(back.entries.has('a')).toBe(false);
  });
});
