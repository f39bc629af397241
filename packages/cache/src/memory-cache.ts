import { LRUCache } from 'lru-cache';
import { performanceClock, toPerf, type Clock } from './clock.js';
import { Loads } from './loads.js';
import { checkPolicy, type CachePolicy } from './policies.js';
import { Counters, type CacheStats } from './stats.js';
import { TagIndex } from './tag-index.js';
import type {
  Awaitable,
  CacheTier,
  Cacheable,
  Invalidator,
  TierLoadOptions,
  SetOptions,
} from './tier.js';
import {
  checkKey,
  checkLoadOptions,
  checkSetOptions,
  checkValue,
  optionsFor,
  pendingTags,
  toTags,
} from './validate.js';

export interface MemoryCacheOptions extends CachePolicy {
  /** Shown in stats and errors. Default `cache`. */
  readonly name?: string | undefined;
  /** The clock TTLs are measured on. Default: `performance.now()`, looked up at each call. */
  readonly clock?: Clock | undefined;
}

/** What lru-cache holds per key: the value and the tags to unindex when it goes. */
interface Slot<V> {
  readonly value: V;
  readonly tags: readonly string[] | undefined;
}

/**
 * An in-process cache on lru-cache: size-bounded LRU, optionally with a TTL,
 * with read-through loading, invalidation by key, prefix and tag, and exact
 * stats. Keys are strings.
 */
export class MemoryCache<V extends Cacheable = Cacheable> implements CacheTier<V>, Invalidator {
  readonly name: string;
  readonly policy: CachePolicy;
  readonly #lru: LRUCache<string, Slot<V>>;
  readonly #tags = new TagIndex();
  readonly #loads = new Loads<V>();
  readonly #counters = new Counters();

  /**
   * @throws {ValidationError} when `max` or `ttl` is not a positive integer.
   */
  constructor(options: MemoryCacheOptions) {
    this.name = options.name ?? 'cache';
    this.policy = checkPolicy(options, [this.name]);
    this.#lru = new LRUCache<string, Slot<V>>({
      max: this.policy.max,
      ...(this.policy.ttl === undefined ? {} : { ttl: this.policy.ttl }),
      // Expired entries go when they expire, not when next looked up: `size`
      // stays true and a big value (an AI context) does not linger.
      ttlAutopurge: true,
      perf: toPerf(options.clock ?? performanceClock),
      dispose: (slot, key, reason) => this.#disposed(slot, key, reason),
    });
  }

  /**
   * The live value, or `undefined`. Counts a hit or a miss. Never throws: the
   * hit path is a map lookup and a counter.
   */
  get(key: string): V | undefined {
    const slot = this.#lru.get(key);
    if (slot === undefined) {
      this.#counters.misses++;
      return undefined;
    }
    this.#counters.hits++;
    return slot.value;
  }

  /**
   * Stores `value` under `key`, replacing what was there (and its tags). A
   * load of `key` still running will not overwrite it.
   * @throws {ValidationError} when the key is not a string, the value is `undefined`, the TTL is not a positive integer or a tag is not a string.
   */
  set(key: string, value: V, options?: SetOptions): void {
    checkKey(key);
    checkValue(value);
    this.#loads.supersede(key);
    this.#store(key, value, checkSetOptions(options));
  }

  /**
   * The cached value, or else `loader(key)`'s, cached with `options`.
   * Concurrent misses for one key share one loader call. A failed load is not
   * cached: every waiter gets its error and the next call loads again. A load
   * overtaken by an invalidation of its key, prefix or tags (any tag, while
   * they are a function of a value not loaded yet) returns its value but does
   * not cache it, since it may predate the change.
   * @throws {ValidationError} (rejects) on a bad key or options, when the loader resolves to `undefined`, or when computed tags are not strings.
   * @throws whatever `loader` (or a tags function) throws (rejects), unchanged.
   */
  async getOrLoad(
    key: string,
    loader: (key: string) => Awaitable<V>,
    options?: TierLoadOptions<V>,
  ): Promise<V> {
    checkKey(key);
    const checked = checkLoadOptions(options);
    const hit = this.get(key);
    if (hit !== undefined) return hit;
    return this.#loads.run(key, pendingTags(checked), async (state) => {
      this.#counters.loads++;
      let value: V;
      try {
        value = await loader(key);
      } catch (error) {
        this.#counters.loadErrors++;
        throw error;
      }
      checkValue(value);
      if (!state.superseded) this.#store(key, value, optionsFor(checked, value));
      return value;
    });
  }

  /**
   * Removes `key`'s entry; `true` when there was one. A load of `key` still
   * running will not store its value.
   * @throws {ValidationError} when the key is not a string.
   */
  delete(key: string): boolean {
    checkKey(key);
    this.#loads.supersede(key);
    return this.#lru.delete(key);
  }

  /**
   * Removes every entry whose key starts with `prefix`.
   * @returns how many were removed.
   * @throws {ValidationError} when the prefix is not a string.
   */
  invalidatePrefix(prefix: string): number {
    checkKey(prefix, 'prefix');
    this.#loads.supersedePrefix(prefix);
    // Collected first: deleting while lru-cache iterates would skip entries.
    const keys = [...this.#lru.keys()].filter((key) => key.startsWith(prefix));
    return this.#deleteAll(keys);
  }

  /**
   * Removes every entry set with any of `tags`.
   * @returns how many were removed.
   * @throws {ValidationError} unless the tags are a string or an array of strings.
   */
  invalidateTags(tags: string | readonly string[]): number {
    const list = toTags(tags);
    this.#loads.supersedeTags(list);
    return this.#deleteAll(this.#tags.keysOf(list));
  }

  /** Removes every entry; running loads will not store their values. */
  clear(): void {
    this.#loads.supersedeAll();
    this.#lru.clear();
  }

  /** The counters, and the live entries now (anything expired is dropped first, so `size` is exact). */
  stats(): CacheStats {
    this.#lru.purgeStale();
    return this.#counters.report(this.name, this.#lru.size, this.policy.max);
  }

  /** Zeroes the counters; the entries stay. */
  resetStats(): void {
    Object.assign(this.#counters, new Counters());
  }

  #store(key: string, value: V, options: SetOptions | undefined): void {
    const tags = options?.tags;
    const slot: Slot<V> = {
      value,
      tags: tags === undefined || tags.length === 0 ? undefined : [...tags],
    };
    // lru-cache disposes of the old slot (and we unindex its tags) inside
    // `set`, so the new tags must be indexed after it returns.
    if (options?.ttl === undefined) this.#lru.set(key, slot);
    else this.#lru.set(key, slot, { ttl: options.ttl });
    if (slot.tags !== undefined) this.#tags.add(key, slot.tags);
  }

  #deleteAll(keys: Iterable<string>): number {
    let removed = 0;
    for (const key of keys) if (this.#lru.delete(key)) removed++;
    return removed;
  }

  #disposed(slot: Slot<V>, key: string, reason: LRUCache.DisposeReason): void {
    if (slot.tags !== undefined) this.#tags.remove(key, slot.tags);
    if (reason === 'evict') this.#counters.evictions++;
    else if (reason === 'expire') this.#counters.expirations++;
    else if (reason === 'delete') this.#counters.invalidations++;
    // 'set' (replaced by a newer value) is neither a loss nor an invalidation.
  }
}
