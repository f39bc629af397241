import { CollectionClosedError, type Collection } from '@vellum/collection';

/** Opens one collection of a store by name. */
export type OpenCollection<M> = <K extends keyof M & string>(name: K) => Promise<Collection<M[K]>>;

/**
 * The collections of a store, each opened on first use: a command that only
 * reads tasks does not pay for loading (or create the files of) the others.
 * Callers asking at the same time share one open; a failed open is forgotten,
 * so the next use tries again.
 */
export class LazyCollections<M> {
  readonly #open: OpenCollection<M>;
  readonly #pending = new Map<keyof M & string, Promise<unknown>>();
  readonly #opened = new Map<keyof M & string, Collection<unknown>>();
  #closed = false;

  constructor(open: OpenCollection<M>) {
    this.#open = open;
  }

  /** The collection, opened now if it is not yet. */
  get<K extends keyof M & string>(name: K): Promise<Collection<M[K]>> {
    if (this.#closed) return Promise.reject(new CollectionClosedError(name));
    let pending = this.#pending.get(name) as Promise<Collection<M[K]>> | undefined;
    if (pending === undefined) {
      pending = this.#open(name).then(
        (collection) => {
          this.#opened.set(name, collection);
          return collection;
        },
        (error: unknown) => {
          this.#pending.delete(name);
          throw error;
        },
      );
      this.#pending.set(name, pending);
    }
    return pending;
  }

  /** The collections opened so far, by name. */
  get opened(): ReadonlyMap<keyof M & string, Collection<unknown>> {
    return this.#opened;
  }

  /** Closes what was opened (waiting for opens under way); later uses fail with `CollectionClosedError`. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#pending.values());
    for (const collection of this.#opened.values()) await collection.close();
  }
}
