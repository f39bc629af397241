/**
 * Which keys carry each tag, so invalidating a tag touches only its entries
 * instead of scanning the cache.
 */
export class TagIndex {
  readonly #keys = new Map<string, Set<string>>();

  add(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      let keys = this.#keys.get(tag);
      if (keys === undefined) this.#keys.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  remove(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.#keys.get(tag);
      if (keys === undefined) continue;
      keys.delete(key);
      // Empty sets would pile up as tags come and go.
      if (keys.size === 0) this.#keys.delete(tag);
    }
  }

  /** Every key carrying any of `tags`. */
  keysOf(tags: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (const tag of tags) for (const key of this.#keys.get(tag) ?? []) out.add(key);
    return out;
  }

  /** How many tags have at least one key. */
  get size(): number {
    return this.#keys.size;
  }
}
