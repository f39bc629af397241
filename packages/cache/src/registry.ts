import type { Clock } from './clock.js';
import { UnknownCacheError, ValidationError } from './errors.js';
import { MemoryCache } from './memory-cache.js';
import { DEFAULT_POLICIES, policyIssues, type CachePolicy } from './policies.js';
import type { CacheStats } from './stats.js';
import type { Cacheable, Invalidator } from './tier.js';
import { checkKey, toTags } from './validate.js';

export interface CacheRegistryOptions {
  /** One policy per cache name. Default {@link DEFAULT_POLICIES}. */
  readonly policies?: Readonly<Record<string, CachePolicy>> | undefined;
  /** The clock every cache measures TTLs on. Default: `performance.now()`. */
  readonly clock?: Clock | undefined;
}

/**
 * A set of named in-memory caches, one per policy, created up front. As an
 * `Invalidator` it forgets a key, prefix or tag in every cache at once, which
 * is what a collection change needs when values derived from one document
 * live in several caches.
 */
export class CacheRegistry implements Invalidator {
  readonly #caches = new Map<string, MemoryCache>();

  /**
   * @throws {ValidationError} listing every policy whose `max` or `ttl` is not a positive integer.
   */
  constructor(options: CacheRegistryOptions = {}) {
    const policies: Readonly<Record<string, CachePolicy>> = options.policies ?? DEFAULT_POLICIES;
    const issues = Object.entries(policies).flatMap(([name, policy]) =>
      policyIssues(policy, ['policies', name]),
    );
    if (issues.length > 0) throw new ValidationError('cache registry options', issues);
    for (const [name, policy] of Object.entries(policies)) {
      this.#caches.set(
        name,
        new MemoryCache({
          ...policy,
          name,
          ...(options.clock === undefined ? {} : { clock: options.clock }),
        }),
      );
    }
  }

  /**
   * The cache called `name`, the same instance every time. `V` is not
   * checked: the caller says what the cache holds.
   * @throws {UnknownCacheError} when no policy has that name.
   */
  cache<V extends Cacheable = Cacheable>(name: string): MemoryCache<V> {
    const cache = this.#caches.get(name);
    if (cache === undefined) throw new UnknownCacheError(name, [...this.#caches.keys()]);
    return cache as unknown as MemoryCache<V>;
  }

  /** The cache names, in policy order. */
  names(): string[] {
    return [...this.#caches.keys()];
  }

  /** Every cache's stats, by name. */
  stats(): Record<string, CacheStats> {
    const out: Record<string, CacheStats> = {};
    for (const [name, cache] of this.#caches) out[name] = cache.stats();
    return out;
  }

  /**
   * Removes `key` from every cache.
   * @returns `true` when any cache had it.
   * @throws {ValidationError} when the key is not a string.
   */
  delete(key: string): boolean {
    checkKey(key);
    let found = false;
    for (const cache of this.#caches.values()) found = cache.delete(key) || found;
    return found;
  }

  /**
   * Removes every entry whose key starts with `prefix`, in every cache.
   * @returns how many were removed in all.
   * @throws {ValidationError} when the prefix is not a string.
   */
  invalidatePrefix(prefix: string): number {
    checkKey(prefix, 'prefix');
    let removed = 0;
    for (const cache of this.#caches.values()) removed += cache.invalidatePrefix(prefix);
    return removed;
  }

  /**
   * Removes every entry carrying any of `tags`, in every cache.
   * @returns how many were removed in all.
   * @throws {ValidationError} unless the tags are a string or an array of strings.
   */
  invalidateTags(tags: string | readonly string[]): number {
    const list = toTags(tags);
    let removed = 0;
    for (const cache of this.#caches.values()) removed += cache.invalidateTags(list);
    return removed;
  }

  /** Empties every cache. */
  clear(): void {
    for (const cache of this.#caches.values()) cache.clear();
  }
}
