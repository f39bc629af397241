/** A value or a promise of it: every tier method may be synchronous or not. */
export type Awaitable<T> = T | Promise<T>;

/**
 * What a cache may hold: anything but `undefined`, which every tier uses to
 * mean "absent". Cache `null` to remember that something does not exist.
 */
export type Cacheable = NonNullable<unknown> | null;

export interface SetOptions {
  /** Milliseconds this entry lives, instead of the cache's TTL. A positive integer. */
  readonly ttl?: number | undefined;
  /** Labels to invalidate the entry by, e.g. the ids of the documents it was derived from. */
  readonly tags?: readonly string[] | undefined;
}

export interface TierLoadOptions<V> {
  /** Milliseconds the loaded entry lives, instead of the cache's TTL. A positive integer. */
  readonly ttl?: number | undefined;
  /**
   * Tags for the loaded entry, or a function that derives them from the
   * value, for when what it depends on is known only once it is loaded (the
   * tickets an epic's progress was computed from).
   */
  readonly tags?: readonly string[] | ((value: V) => readonly string[]) | undefined;
}

/**
 * One level of caching. The in-memory cache implements it; a shared tier
 * (Redis) can implement it too and sit behind memory in a `TieredCache`.
 * Every method may return a promise.
 *
 * The two invalidation methods are optional capabilities: a tier that can
 * find keys by prefix or tag itself (a Redis SCAN, a set per tag) provides
 * them; shared code checks for them, never for a class.
 */
export interface CacheTier<V extends Cacheable> {
  /** The live value, or `undefined` when absent or expired. */
  get(key: string): Awaitable<V | undefined>;
  set(key: string, value: V, options?: SetOptions): Awaitable<void>;
  /** Removes the entry; `true` when there was one. */
  delete(key: string): Awaitable<boolean>;
  clear(): Awaitable<void>;
  /** Removes every entry whose key starts with `prefix`; how many it removed. */
  invalidatePrefix?(prefix: string): Awaitable<number>;
  /** Removes every entry carrying any of `tags`; how many it removed. */
  invalidateTags?(tags: string | readonly string[]): Awaitable<number>;
}

/**
 * What `bindToCollection` drives: something that forgets entries by key,
 * prefix and tag. Caches, tiered caches and the registry all are.
 */
export interface Invalidator {
  delete(key: string): Awaitable<boolean>;
  invalidatePrefix(prefix: string): Awaitable<number>;
  invalidateTags(tags: string | readonly string[]): Awaitable<number>;
  clear(): Awaitable<void>;
}
