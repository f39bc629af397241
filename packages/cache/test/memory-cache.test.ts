import { afterEach, describe, expect, test, vi } from 'vitest';
import { MemoryCache, ValidationError, type CacheStats } from '../src/index.js';
import { deferred, settle } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => vi.useRealTimers());

const zero = {
  hits: 0,
  misses: 0,
  evictions: 0,
  expirations: 0,
  invalidations: 0,
  loads: 0,
  loadErrors: 0,
};
const stats = (
  name: string,
  max: number,
  counts: Partial<CacheStats> & { size: number },
): CacheStats => {
  const all = { ...zero, ...counts };
  const lookups = all.hits + all.misses;
  return { name, max, hitRate: lookups === 0 ? 0 : all.hits / lookups, ...all };
};

describe('stats', () => {
  test('count every hit, miss, eviction and invalidation exactly', () => {
    const cache = new MemoryCache<string>({ name: 'tickets', max: 3 });
    expect(cache.stats()).toEqual(stats('tickets', 3, { size: 0 }));

    cache.set('a', 'A');
    cache.set('b', 'B');
    cache.set('c', 'C');
    expect(cache.get('a')).toBe('A'); // a is now the most recently used
    expect(cache.get('zz')).toBeUndefined();
    cache.set('d', 'D'); // evicts b, the least recently used
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('c')).toBe('C');
    cache.set('c', 'C2'); // a replacement: neither an eviction nor an invalidation
    expect(cache.delete('a')).toBe(true);
    expect(cache.delete('a')).toBe(false);

    expect(cache.stats()).toEqual(
      stats('tickets', 3, { hits: 2, misses: 2, evictions: 1, invalidations: 1, size: 2 }),
    );
    expect(cache.stats().hitRate).toBe(0.5);
  });

  test('size never exceeds max, and every overflow is one eviction', () => {
    const cache = new MemoryCache<number>({ max: 100 });
    for (let i = 0; i < 1_000; i++) cache.set(`k${i}`, i);
    expect(cache.stats()).toEqual(stats('cache', 100, { evictions: 900, size: 100 }));
    // The survivors are the 100 most recent.
    expect(cache.get('k899')).toBeUndefined();
    expect(cache.get('k900')).toBe(900);
    expect(cache.get('k999')).toBe(999);
  });

  test('getOrLoad counts a hit or a miss, and each loader call', async () => {
    const cache = new MemoryCache<number>({ max: 10 });
    expect(await cache.getOrLoad('a', () => 1)).toBe(1);
    expect(await cache.getOrLoad('a', () => 2)).toBe(1);
    await expect(cache.getOrLoad('b', () => Promise.reject(new Error('down')))).rejects.toThrow(
      'down',
    );
    expect(cache.stats()).toEqual(
      stats('cache', 10, { hits: 1, misses: 2, loads: 2, loadErrors: 1, size: 1 }),
    );
  });

  test('clear counts one invalidation per entry; resetStats zeroes the counters but keeps entries', () => {
    const cache = new MemoryCache<number>({ max: 10 });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.clear();
    expect(cache.stats()).toEqual(stats('cache', 10, { hits: 1, invalidations: 2, size: 0 }));
    cache.set('c', 3);
    cache.resetStats();
    expect(cache.stats()).toEqual(stats('cache', 10, { size: 1 }));
  });
});

describe('TTL (fake timers)', () => {
  test('an entry lives for exactly the policy TTL, then counts as an expiration', () => {
    vi.useFakeTimers();
    const cache = new MemoryCache<string>({ name: 'epicProgress', max: 200, ttl: 5 * 60_000 });
    cache.set('E1', '40%');
    vi.advanceTimersByTime(5 * 60_000);
    expect(cache.get('E1')).toBe('40%');
    vi.advanceTimersByTime(1);
    expect(cache.get('E1')).toBeUndefined();
    expect(cache.stats()).toEqual(
      stats('epicProgress', 200, { hits: 1, misses: 1, expirations: 1, size: 0 }),
    );
  });

  test('expired entries leave size without being looked up', () => {
    vi.useFakeTimers();
    const cache = new MemoryCache<number>({ max: 10, ttl: 1_000 });
    cache.set('a', 1);
    vi.advanceTimersByTime(500);
    cache.set('b', 2);
    vi.advanceTimersByTime(501);
    expect(cache.stats()).toEqual(stats('cache', 10, { expirations: 1, size: 1 }));
    vi.advanceTimersByTime(500);
    expect(cache.stats()).toEqual(stats('cache', 10, { expirations: 2, size: 0 }));
  });

  test('a per-entry ttl overrides the policy, also on a cache without one', () => {
    vi.useFakeTimers();
    const cache = new MemoryCache<number>({ max: 10 });
    cache.set('short', 1, { ttl: 100 });
    cache.set('forever', 2);
    vi.advanceTimersByTime(60 * 60_000);
    expect(cache.get('short')).toBeUndefined();
    expect(cache.get('forever')).toBe(2);
  });

  test('a reading does not extend the TTL; a set does', () => {
    vi.useFakeTimers();
    const cache = new MemoryCache<number>({ max: 10, ttl: 1_000 });
    cache.set('a', 1);
    vi.advanceTimersByTime(900);
    expect(cache.get('a')).toBe(1);
    cache.set('b', 1);
    vi.advanceTimersByTime(200);
    expect(cache.get('a')).toBeUndefined();
    cache.set('b', 2);
    vi.advanceTimersByTime(900);
    expect(cache.get('b')).toBe(2);
  });

  test('an injected clock is used (read at most once per millisecond, as lru-cache does)', async () => {
    let now = 10_000;
    const cache = new MemoryCache<number>({ max: 10, ttl: 50, clock: { now: () => now } });
    cache.set('a', 1);
    now += 50;
    await sleep(5);
    expect(cache.get('a')).toBe(1);
    now += 1;
    await sleep(5);
    expect(cache.get('a')).toBeUndefined();
  });
});

describe('invalidation', () => {
  test('by key', () => {
    const cache = new MemoryCache<number>({ max: 10 });
    cache.set('ticket:1', 1);
    cache.set('ticket:2', 2);
    expect(cache.delete('ticket:1')).toBe(true);
    expect(cache.get('ticket:1')).toBeUndefined();
    expect(cache.get('ticket:2')).toBe(2);
  });

  test('by prefix', () => {
    const cache = new MemoryCache<number>({ max: 10 });
    cache.set('query:tickets:status=open', 1);
    cache.set('query:tickets:epic=E1', 2);
    cache.set('query:projects:all', 3);
    expect(cache.invalidatePrefix('query:tickets:')).toBe(2);
    expect(cache.get('query:tickets:status=open')).toBeUndefined();
    expect(cache.get('query:projects:all')).toBe(3);
    expect(cache.invalidatePrefix('')).toBe(1);
    expect(cache.stats().size).toBe(0);
    expect(cache.stats().invalidations).toBe(3);
  });

  test('by tag, across the entries carrying it', () => {
    const cache = new MemoryCache<number>({ max: 10 });
    cache.set('epic:E1', 40, { tags: ['ticket:T1', 'ticket:T2'] });
    cache.set('graph:P1', 7, { tags: ['ticket:T2'] });
    cache.set('epic:E2', 90, { tags: ['ticket:T3'] });
    expect(cache.invalidateTags('ticket:T2')).toBe(2);
    expect(cache.get('epic:E1')).toBeUndefined();
    expect(cache.get('graph:P1')).toBeUndefined();
    expect(cache.get('epic:E2')).toBe(90);
    expect(cache.invalidateTags(['ticket:T2'])).toBe(0);
  });

  test('a lone tag string from JavaScript counts as one tag', async () => {
    const cache = new MemoryCache<number>({ max: 10 });
    cache.set('a', 1, { tags: 'ticket:T1' as unknown as string[] });
    await cache.getOrLoad('b', () => 2, { tags: 'ticket:T1' as unknown as string[] });
    expect(cache.invalidateTags('t')).toBe(0);
    expect(cache.invalidateTags('ticket:T1')).toBe(2);
  });

  test('an evicted or expired entry leaves the tag index', () => {
    vi.useFakeTimers();
    const cache = new MemoryCache<number>({ max: 1, ttl: 1_000 });
    cache.set('a', 1, { tags: ['t'] });
    cache.set('b', 2); // evicts a
    cache.set('a', 3); // back, untagged
    expect(cache.invalidateTags('t')).toBe(0);
    expect(cache.get('a')).toBe(3);
    cache.set('c', 4, { tags: ['u'] });
    vi.advanceTimersByTime(1_001);
    cache.set('c', 5); // same key after expiry, untagged
    expect(cache.invalidateTags('u')).toBe(0);
    expect(cache.get('c')).toBe(5);
  });
});

describe('getOrLoad', () => {
  test('concurrent misses for one key share one load', async () => {
    const cache = new MemoryCache<number>({ max: 10 });
    const gate = deferred<number>();
    const loader = vi.fn(() => gate.promise);
    const waiting = Array.from({ length: 100 }, () => cache.getOrLoad('k', loader));
    await settle();
    gate.resolve(42);
    expect(await Promise.all(waiting)).toEqual(Array.from({ length: 100 }, () => 42));
    expect(loader).toHaveBeenCalledTimes(1);
    expect(loader).toHaveBeenCalledWith('k');
    expect(await cache.getOrLoad('k', loader)).toBe(42);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 100, loads: 1, size: 1 });
  });

  test('different keys load independently', async () => {
    const cache = new MemoryCache<string>({ max: 10 });
    const loader = vi.fn(async (key: string) => key.toUpperCase());
    expect(await Promise.all([cache.getOrLoad('a', loader), cache.getOrLoad('b', loader)])).toEqual(
      ['A', 'B'],
    );
    expect(loader).toHaveBeenCalledTimes(2);
  });

  test('a failed load reaches every waiter, is not cached, and the next call loads again', async () => {
    const cache = new MemoryCache<number>({ max: 10 });
    const gate = deferred<number>();
    const first = vi.fn(() => gate.promise);
    const waiting = [cache.getOrLoad('k', first), cache.getOrLoad('k', first)];
    gate.reject(new Error('disk on fire'));
    for (const result of await Promise.allSettled(waiting))
      expect(result).toMatchObject({ status: 'rejected', reason: { message: 'disk on fire' } });
    expect(first).toHaveBeenCalledTimes(1);
    expect(cache.stats()).toMatchObject({ size: 0, loads: 1, loadErrors: 1 });
    expect(await cache.getOrLoad('k', () => 7)).toBe(7);
    expect(cache.get('k')).toBe(7);
  });

  test('a loader that throws synchronously rejects', async () => {
    const cache = new MemoryCache<number>({ max: 10 });
    await expect(
      cache.getOrLoad('k', () => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
  });

  test('stores the value with its tags and ttl', async () => {
    vi.useFakeTimers();
    const cache = new MemoryCache<number>({ max: 10 });
    await cache.getOrLoad('epic:E1', () => 40, { tags: ['ticket:T1'], ttl: 1_000 });
    expect(cache.invalidateTags('ticket:T1')).toBe(1);
    await cache.getOrLoad('epic:E1', () => 41, { ttl: 1_000 });
    vi.advanceTimersByTime(1_001);
    expect(cache.get('epic:E1')).toBeUndefined();
  });

  test.each([
    ['its key', (cache: MemoryCache<number>) => cache.delete('epic:E1'), 50],
    ['its prefix', (cache: MemoryCache<number>) => cache.invalidatePrefix('epic:'), 50],
    ['one of its tags', (cache: MemoryCache<number>) => cache.invalidateTags('ticket:T1'), 50],
    ['a clear', (cache: MemoryCache<number>) => cache.clear(), 50],
    ['a newer set', (cache: MemoryCache<number>) => cache.set('epic:E1', 99), 99],
  ])(
    'a load overtaken by %s returns its value to its waiters but does not cache it',
    async (_, invalidate, after) => {
      const cache = new MemoryCache<number>({ max: 10 });
      const gate = deferred<number>();
      const stale = cache.getOrLoad('epic:E1', () => gate.promise, { tags: ['ticket:T1'] });
      await settle();
      invalidate(cache);
      // A call after the invalidation does not join the overtaken load.
      const fresh = cache.getOrLoad('epic:E1', () => 50);
      gate.resolve(40);
      expect(await stale).toBe(40);
      expect(await fresh).toBe(after);
      expect(cache.get('epic:E1')).toBe(after);
    },
  );

  test('tags can be derived from the loaded value', async () => {
    const cache = new MemoryCache<{ done: number; tickets: string[] }>({ max: 10 });
    const loaded = await cache.getOrLoad('epic:E1', () => ({ done: 5, tickets: ['T1', 'T2'] }), {
      tags: (progress) => progress.tickets.map((id) => `ticket:${id}`),
    });
    expect(loaded.done).toBe(5);
    expect(cache.invalidateTags('ticket:T2')).toBe(1);
  });

  test('while tags are a function of a value not loaded yet, any tag invalidation supersedes the load', async () => {
    const cache = new MemoryCache<string[]>({ max: 10 });
    const gate = deferred<string[]>();
    const load = cache.getOrLoad('epic:E1', () => gate.promise, { tags: (ids) => ids });
    await settle();
    cache.invalidateTags('T9');
    gate.resolve(['T1']);
    expect(await load).toEqual(['T1']);
    expect(cache.get('epic:E1')).toBeUndefined();
  });

  test('a tags function that throws or returns non-strings rejects, and nothing is cached', async () => {
    const cache = new MemoryCache<number>({ max: 10 });
    await expect(
      cache.getOrLoad('a', () => 1, {
        tags: () => {
          throw new Error('no tags');
        },
      }),
    ).rejects.toThrow('no tags');
    await expect(
      cache.getOrLoad('a', () => 1, { tags: () => [2 as unknown as string] }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(cache.stats()).toMatchObject({ size: 0, loads: 2, loadErrors: 0 });
  });

  test('an invalidation of another key, prefix or tag does not stop the load being cached', async () => {
    const cache = new MemoryCache<number>({ max: 10 });
    const gate = deferred<number>();
    const load = cache.getOrLoad('epic:E1', () => gate.promise, { tags: ['ticket:T1'] });
    await settle();
    cache.delete('epic:E2');
    cache.invalidatePrefix('graph:');
    cache.invalidateTags('ticket:T9');
    gate.resolve(40);
    expect(await load).toBe(40);
    expect(cache.get('epic:E1')).toBe(40);
  });
});

describe('validation', () => {
  test('a bad policy is a ValidationError listing each issue', () => {
    let caught: unknown;
    try {
      new MemoryCache({ name: 'x', max: 0, ttl: 1.5 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect(caught).toMatchObject({
      code: 'VELLUM_VALIDATION',
      issues: [
        { path: ['x', 'max'], message: 'must be a positive integer' },
        { path: ['x', 'ttl'], message: 'must be a positive integer (ms) or absent' },
      ],
    });
  });

  test('undefined is not a value; null is', async () => {
    const cache = new MemoryCache<number | null>({ max: 10 });
    expect(() => cache.set('a', undefined as unknown as null)).toThrow(ValidationError);
    await expect(cache.getOrLoad('a', () => undefined as unknown as null)).rejects.toMatchObject({
      code: 'VELLUM_VALIDATION',
    });
    expect(cache.stats().size).toBe(0);
    expect(await cache.getOrLoad('a', () => null)).toBeNull();
    expect(await cache.getOrLoad('a', () => 1)).toBeNull();
  });

  test('keys, tags and ttls are checked before anything changes', async () => {
    const cache = new MemoryCache<number>({ max: 10 });
    expect(() => cache.set(1 as unknown as string, 1)).toThrow(ValidationError);
    expect(() => cache.set('a', 1, { ttl: 0 })).toThrow(ValidationError);
    expect(() => cache.set('a', 1, { tags: [1 as unknown as string] })).toThrow(ValidationError);
    expect(() => cache.invalidateTags(7 as unknown as string)).toThrow(ValidationError);
    expect(() => cache.invalidatePrefix(undefined as unknown as string)).toThrow(ValidationError);
    await expect(cache.getOrLoad('a', () => 1, { ttl: -5 })).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(cache.stats().size).toBe(0);
  });
});
