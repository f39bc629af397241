/** What a running load can ask about itself. */
export interface LoadState {
  /**
   * An invalidation of the load's key, prefix or tags arrived while it ran:
   * its value may have been read before the change, so it must not be stored.
   */
  readonly superseded: boolean;
}

interface Pending<R> {
  readonly promise: Promise<R>;
  /**
   * `'any'`: the entry's tags are known only when the load ends (computed
   * from the value, or read from a back tier), so any tag invalidation
   * supersedes it.
   */
  readonly tags: readonly string[] | 'any';
  readonly state: { superseded: boolean };
}

/**
 * Loads in flight, at most one per key, so concurrent misses for a key share
 * a single loader call. The loader decides whether to store its value by
 * looking at `state.superseded`; the waiters get the value either way.
 */
export class Loads<R> {
  readonly #pending = new Map<string, Pending<R>>();

  /** How many loads are running. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * `work`'s result, shared with every caller that asks for `key` before it
   * settles. A failure is shared too, and forgotten: the next call loads again.
   */
  run(
    key: string,
    tags: readonly string[] | 'any',
    work: (state: LoadState) => Promise<R>,
  ): Promise<R> {
    const pending = this.#pending.get(key);
    if (pending !== undefined) return pending.promise;
    const state = { superseded: false };
    const promise = (async () => {
      // Registered below before `work` starts, so even a loader that
      // invalidates synchronously finds its own load to supersede.
      await Promise.resolve();
      try {
        return await work(state);
      } finally {
        if (this.#pending.get(key)?.state === state) this.#pending.delete(key);
      }
    })();
    this.#pending.set(key, { promise, tags, state });
    return promise;
  }

  /** Supersedes the load of `key`; a later call for it starts a fresh load. */
  supersede(key: string): void {
    const pending = this.#pending.get(key);
    if (pending === undefined) return;
    pending.state.superseded = true;
    this.#pending.delete(key);
  }

  supersedePrefix(prefix: string): void {
    for (const key of [...this.#pending.keys()]) if (key.startsWith(prefix)) this.supersede(key);
  }

  supersedeTags(tags: readonly string[]): void {
    const wanted = new Set(tags);
    for (const [key, pending] of [...this.#pending]) {
      if (pending.tags === 'any' || pending.tags.some((tag) => wanted.has(tag)))
        this.supersede(key);
    }
  }

  supersedeAll(): void {
    for (const key of [...this.#pending.keys()]) this.supersede(key);
  }
}
