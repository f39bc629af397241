import type { CacheTier, Cacheable, SetOptions } from '../src/index.js';

/**
 * A test double for a shared tier such as Redis: asynchronous, its own
 * expiry on `Date.now()`, and prefix and tag invalidation only when asked to
 * have them (capabilities, as a real tier would declare).
 */
export class MapTier<V extends Cacheable> implements CacheTier<V> {
  readonly entries = new Map<string, { value: V; tags: readonly string[]; expires: number }>();
  invalidatePrefix?: (prefix: string) => Promise<number>;
  invalidateTags?: (tags: string | readonly string[]) => Promise<number>;

  constructor(capabilities: { prefix: boolean; tags: boolean } = { prefix: true, tags: true }) {
    if (capabilities.prefix)
      this.invalidatePrefix = async (prefix) => this.#deleteWhere((key) => key.startsWith(prefix));
    if (capabilities.tags)
      this.invalidateTags = async (tags) => {
        const wanted = typeof tags === 'string' ? [tags] : tags;
        return this.#deleteWhere((_, entry) => entry.tags.some((tag) => wanted.includes(tag)));
      };
  }

  async get(key: string): Promise<V | undefined> {
    await Promise.resolve();
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (Date.now() >= entry.expires) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  async set(key: string, value: V, options?: SetOptions): Promise<void> {
    await Promise.resolve();
    this.entries.set(key, {
      value,
      tags: options?.tags ?? [],
      expires: options?.ttl === undefined ? Infinity : Date.now() + options.ttl,
    });
  }

  async delete(key: string): Promise<boolean> {
    await Promise.resolve();
    return this.entries.delete(key);
  }

  async clear(): Promise<void> {
    await Promise.resolve();
    this.entries.clear();
  }

  #deleteWhere(
    match: (key: string, entry: { value: V; tags: readonly string[] }) => boolean,
  ): number {
    let removed = 0;
    for (const [key, entry] of [...this.entries]) {
      if (match(key, entry)) {
        this.entries.delete(key);
        removed++;
      }
    }
    return removed;
  }
}
