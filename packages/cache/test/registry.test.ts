import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  CacheRegistry,
  DEFAULT_POLICIES,
  UnknownCacheError,
  ValidationError,
} from '../src/index.js';

afterEach(() => vi.useRealTimers());

const MINUTE = 60_000;

describe('DEFAULT_POLICIES', () => {
  test("are spec 002's policy table plus spec 000's five-minute query cache", () => {
    expect(DEFAULT_POLICIES).toEqual({
      projects: { max: 100 },
      tickets: { max: 1_000 },
      epicProgress: { max: 200, ttl: 5 * MINUTE },
      dependencyGraphs: { max: 50, ttl: 10 * MINUTE },
      aiContexts: { max: 20, ttl: 30 * MINUTE },
      queries: { max: 1_000, ttl: 5 * MINUTE },
    });
    expect(Object.isFrozen(DEFAULT_POLICIES)).toBe(true);
    expect(Object.isFrozen(DEFAULT_POLICIES.tickets)).toBe(true);
  });

  test.each(Object.entries(DEFAULT_POLICIES))(
    '%s holds at most its max, evicting the least recently used',
    (name, policy) => {
      const cache = new CacheRegistry().cache<number>(name);
      for (let i = 0; i <= policy.max; i++) cache.set(`k${i}`, i);
      expect(cache.stats()).toMatchObject({ size: policy.max, evictions: 1, max: policy.max });
      expect(cache.get('k0')).toBeUndefined();
      expect(cache.get(`k${policy.max}`)).toBe(policy.max);
    },
  );

  test.each(Object.entries(DEFAULT_POLICIES))(
    '%s expires entries after its TTL, if it has one',
    (name, policy) => {
      vi.useFakeTimers();
      const cache = new CacheRegistry().cache<string>(name);
      cache.set('k', 'v');
      const ttl = 'ttl' in policy ? policy.ttl : undefined;
      vi.advanceTimersByTime(ttl ?? 24 * 60 * MINUTE);
      expect(cache.get('k')).toBe('v');
      vi.advanceTimersByTime(1);
      expect(cache.get('k')).toBe(ttl === undefined ? 'v' : undefined);
    },
  );
});

describe('CacheRegistry', () => {
  test('has one cache per policy, the same instance every time', () => {
    const registry = new CacheRegistry();
    expect(registry.names()).toEqual(Object.keys(DEFAULT_POLICIES));
    expect(registry.cache('tickets')).toBe(registry.cache('tickets'));
    expect(registry.cache('tickets').name).toBe('tickets');
    expect(registry.cache('tickets').policy).toEqual({ max: 1_000 });
  });

  test('takes its own policies', () => {
    const registry = new CacheRegistry({ policies: { sessions: { max: 5, ttl: 1_000 } } });
    expect(registry.names()).toEqual(['sessions']);
    expect(registry.cache('sessions').policy).toEqual({ max: 5, ttl: 1_000 });
  });

  test('an unknown name is an UnknownCacheError naming the known ones', () => {
    const registry = new CacheRegistry({ policies: { a: { max: 1 }, b: { max: 1 } } });
    expect(() => registry.cache('tikets')).toThrow(UnknownCacheError);
    expect(() => registry.cache('tikets')).toThrow(
      expect.objectContaining({
        code: 'VELLUM_CACHE_UNKNOWN',
        cacheName: 'tikets',
        known: ['a', 'b'],
      }),
    );
  });

  test('bad policies are one ValidationError listing every issue', () => {
    expect(
      () =>
        new CacheRegistry({ policies: { a: { max: -1 }, b: { max: 2, ttl: 0 }, c: { max: 3 } } }),
    ).toThrow(
      expect.objectContaining({
        constructor: ValidationError,
        issues: [
          { path: ['policies', 'a', 'max'], message: 'must be a positive integer' },
          { path: ['policies', 'b', 'ttl'], message: 'must be a positive integer (ms) or absent' },
        ],
      }),
    );
  });

  test('invalidates a key, prefix or tag in every cache at once', () => {
    const registry = new CacheRegistry();
    const tickets = registry.cache<string>('tickets');
    const progress = registry.cache<number>('epicProgress');
    const queries = registry.cache<string[]>('queries');
    tickets.set('T1', 'ticket one');
    progress.set('E1', 40, { tags: ['ticket:T1'] });
    progress.set('E2', 90, { tags: ['ticket:T2'] });
    queries.set('tickets:status=open', ['T1'], { tags: ['ticket:T1'] });
    queries.set('tickets:epic=E2', ['T2']);

    expect(registry.invalidateTags('ticket:T1')).toBe(2);
    expect(progress.get('E1')).toBeUndefined();
    expect(queries.get('tickets:status=open')).toBeUndefined();
    expect(registry.delete('T1')).toBe(true);
    expect(registry.delete('T1')).toBe(false);
    expect(registry.invalidatePrefix('tickets:')).toBe(1);
    expect(progress.get('E2')).toBe(90);
    registry.clear();
    expect(progress.get('E2')).toBeUndefined();
  });

  test('reports every cache’s stats by name', () => {
    const registry = new CacheRegistry({ policies: { a: { max: 2 }, b: { max: 3, ttl: 100 } } });
    registry.cache('a').set('x', 1);
    registry.cache('a').get('x');
    registry.cache('b').get('x');
    expect(registry.stats()).toEqual({
      a: {
        name: 'a',
        hits: 1,
        misses: 0,
        hitRate: 1,
        evictions: 0,
        expirations: 0,
        invalidations: 0,
        loads: 0,
        loadErrors: 0,
        size: 1,
        max: 2,
      },
      b: {
        name: 'b',
        hits: 0,
        misses: 1,
        hitRate: 0,
        evictions: 0,
        expirations: 0,
        invalidations: 0,
        loads: 0,
        loadErrors: 0,
        size: 0,
        max: 3,
      },
    });
  });

  test('measures every TTL on the clock it is given', async () => {
    let now = 1_000;
    const registry = new CacheRegistry({ clock: { now: () => now } });
    registry.cache('aiContexts').set('session-1', { tokens: 12 });
    now += 30 * MINUTE + 1;
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(registry.cache('aiContexts').get('session-1')).toBeUndefined();
  });
});
