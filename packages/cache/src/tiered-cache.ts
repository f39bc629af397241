import { Loads } from './loads.js';
import type { MemoryCache } from './memory-cache.js';
import type { CacheStats } from './stats.js';
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
  toTags,
} from './validate.js';

/**
 * What a `TieredCache` keeps in its back tier: the value with its tags, so
 * an entry promoted back into memory can still be invalidated by tag.
 */
export interface TieredRecord<V> {
  readonly value: V;
  readonly tags?: readonly string[] | undefined;
}

export interface TieredStats extends CacheStats {
  /** Front-tier misses the back tier answered. */
  readonly backHits: number;
  /** Front-tier misses the back tier could not answer either. */
  readonly backMisses: number;
}

/**
 * Memory in front of another tier (a shared one, such as Redis). Reads try
 * memory, then the back tier (promoting what it finds), then the loader;
 * writes and invalidations go to both. Invalidation reaches the front tier
 * synchronously, before the returned promise settles.
 */
export class TieredCache<V extends Cacheable = Cacheable> implements CacheTier<V>, Invalidator {
  readonly front: MemoryCache<V>;
  readonly back: CacheTier<TieredRecord<V>>;
  readonly #loads = new Loads<V>();
  /** Bumped by every write and invalidation, so a back-tier read that straddles one is not promoted. */
  #generation = 0;
  #backHits = 0;
  #backMisses = 0;
  #loadCount = 0;
  #loadErrors = 0;

  constructor(front: MemoryCache<V>, back: CacheTier<TieredRecord<V>>) {
    this.front = front;
    this.back = back;
  }

  /**
   * The value from memory, else from the back tier.
   * @throws whatever the back tier throws (rejects).
   */
  async get(key: string): Promise<V | undefined> {
    const hit = this.front.get(key);
    if (hit !== undefined) return hit;
    const generation = this.#generation;
    const record = await this.#fromBack(key);
    if (record !== undefined && generation === this.#generation) this.#promote(key, record);
    return record?.value;
  }

  /**
   * Stores in memory, then in the back tier.
   * @throws {ValidationError} on a bad key, value or options.
   * @throws whatever the back tier throws (rejects); memory holds the value already.
   */
  async set(key: string, value: V, options?: SetOptions): Promise<void> {
    checkKey(key);
    checkValue(value);
    const checked = checkSetOptions(options);
    this.#changed();
    this.#loads.supersede(key);
    this.front.set(key, value, checked);
    await this.back.set(key, record(value, checked?.tags), checked);
  }

  /**
   * The value from memory, else from the back tier, else `loader(key)`'s,
   * stored in both. Concurrent misses share one back-tier read and one load;
   * a failed load is not cached; a load overtaken by an invalidation is not
   * stored (and is removed again from the back tier if the invalidation came
   * while it was being written there).
   * @throws {ValidationError} (rejects) on a bad key or options, when the loader resolves to `undefined`, or when computed tags are not strings.
   * @throws whatever `loader`, a tags function or the back tier throws (rejects).
   */
  async getOrLoad(
    key: string,
    loader: (key: string) => Awaitable<V>,
    options?: TierLoadOptions<V>,
  ): Promise<V> {
    checkKey(key);
    const checked = checkLoadOptions(options);
    const hit = this.front.get(key);
    if (hit !== undefined) return hit;
    // Tags are unknown until the back tier answers, so any tag invalidation supersedes.
    return this.#loads.run(key, 'any', async (state) => {
      const found = await this.#fromBack(key);
      if (found !== undefined) {
        if (!state.superseded) this.#promote(key, found);
        return found.value;
      }
      this.#loadCount++;
      let value: V;
      try {
        value = await loader(key);
      } catch (error) {
        this.#loadErrors++;
        throw error;
      }
      checkValue(value);
      if (state.superseded) return value;
      const stored = optionsFor(checked, value);
      this.front.set(key, value, stored);
      await this.back.set(key, record(value, stored?.tags), stored);
      // An invalidation that ran while the back tier was being written found
      // nothing there to delete yet.
      if (state.superseded) await this.back.delete(key);
      return value;
    });
  }

  /**
   * Removes `key` from both tiers (from memory before the promise settles).
   * @throws whatever the back tier throws (rejects).
   */
  async delete(key: string): Promise<boolean> {
    checkKey(key);
    this.#changed();
    this.#loads.supersede(key);
    const inFront = this.front.delete(key);
    const inBack = await this.back.delete(key);
    return inFront || inBack;
  }

  /**
   * Removes every entry whose key starts with `prefix` from both tiers. A
   * back tier without `invalidatePrefix` is cleared instead: too much
   * forgotten costs a reload, a stale entry kept costs a wrong answer.
   * @returns the back tier's count, or the front's when the back tier was cleared.
   * @throws whatever the back tier throws (rejects).
   */
  async invalidatePrefix(prefix: string): Promise<number> {
    checkKey(prefix, 'prefix');
    this.#changed();
    this.#loads.supersedePrefix(prefix);
    const inFront = this.front.invalidatePrefix(prefix);
    if (this.back.invalidatePrefix === undefined) {
      await this.back.clear();
      return inFront;
    }
    return this.back.invalidatePrefix(prefix);
  }

  /**
   * Removes every entry carrying any of `tags` from both tiers; a back tier
   * without `invalidateTags` is cleared instead.
   * @returns the back tier's count, or the front's when the back tier was cleared.
   * @throws {ValidationError} unless the tags are a string or an array of strings.
   * @throws whatever the back tier throws (rejects).
   */
  async invalidateTags(tags: string | readonly string[]): Promise<number> {
    const list = toTags(tags);
    this.#changed();
    this.#loads.supersedeTags(list);
    const inFront = this.front.invalidateTags(list);
    if (this.back.invalidateTags === undefined) {
      await this.back.clear();
      return inFront;
    }
    return this.back.invalidateTags(list);
  }

  /**
   * Empties both tiers.
   * @throws whatever the back tier throws (rejects).
   */
  async clear(): Promise<void> {
    this.#changed();
    this.#loads.supersedeAll();
    this.front.clear();
    await this.back.clear();
  }

  /**
   * The front tier's stats (its hits and misses are this cache's), with the
   * loads made here and how often the back tier answered a front miss.
   */
  stats(): TieredStats {
    const front = this.front.stats();
    return {
      ...front,
      loads: front.loads + this.#loadCount,
      loadErrors: front.loadErrors + this.#loadErrors,
      backHits: this.#backHits,
      backMisses: this.#backMisses,
    };
  }

  async #fromBack(key: string): Promise<TieredRecord<V> | undefined> {
    const found = await this.back.get(key);
    if (found === undefined) this.#backMisses++;
    else this.#backHits++;
    return found;
  }

  #promote(key: string, found: TieredRecord<V>): void {
    this.front.set(key, found.value, found.tags === undefined ? undefined : { tags: found.tags });
  }

  #changed(): void {
    this.#generation++;
  }
}

function record<V>(value: V, tags: readonly string[] | undefined): TieredRecord<V> {
  return tags === undefined ? { value } : { value, tags: [...tags] };
}
