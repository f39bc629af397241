import type { Invalidator } from './tier.js';

/**
 * A committed change as `@vellum/collection`'s `onChange` reports it. Typed
 * here by shape, so this package needs no runtime dependency on collections.
 */
export interface CollectionChange<T = unknown> {
  readonly id: string;
  readonly type: 'put' | 'delete';
  /** The journal sequence number of the change. */
  readonly seq: number;
  /** The new document; `undefined` for a delete. */
  readonly doc: T | undefined;
  /** `local`: this instance wrote it; `remote`: another process did (seen at catch-up); `external`: an adopted hand edit. */
  readonly source: 'local' | 'remote' | 'external';
}

/** Anything that reports committed changes, as a `Collection` does. */
export interface ChangeNotifier<E> {
  /** Subscribes; returns a function that unsubscribes. */
  onChange(listener: (event: E) => void): () => void;
}

export interface BindOptions<E> {
  /** Keys to delete for a change. Default: the document's id. Return `[]` to delete none. */
  readonly keysFor?: ((event: E) => Iterable<string>) | undefined;
  /** Key prefixes to invalidate for a change (say, every cached query of the collection). */
  readonly prefixesFor?: ((event: E) => Iterable<string>) | undefined;
  /** Tags to invalidate for a change (say, `ticket:<id>` on every value derived from that ticket). */
  readonly tagsFor?: ((event: E) => Iterable<string>) | undefined;
  /**
   * Told when a mapping function throws (the target was cleared, since what
   * to forget is unknown) or an asynchronous invalidation fails. Default: a
   * process warning.
   */
  readonly onError?: ((error: unknown, event: E) => void) | undefined;
}

/**
 * Keeps `target` in step with `collection`: every committed change — this
 * process's writes, other processes' writes as the collection catches up
 * with the journal (at its next read or write), adopted hand edits —
 * invalidates the keys, prefixes and tags the options map it to.
 *
 * A change from another process is seen only when this process's collection
 * next catches up; until then, a cache hit (which does not read the
 * collection) can return the old value.
 *
 * The listener never throws into the collection: a mapping function that
 * throws clears the target (stale entries are worse than reloads) and is
 * reported to `onError`.
 * @returns a function that unbinds.
 */
export function bindToCollection<E extends CollectionChange>(
  target: Invalidator,
  collection: ChangeNotifier<E>,
  options: BindOptions<E> = {},
): () => void {
  const keysFor = options.keysFor ?? ((event: E) => [event.id]);
  const { prefixesFor, tagsFor } = options;
  const report = options.onError ?? warn;
  const settle = (result: unknown, event: E): void => {
    // An asynchronous tier (Redis) answers later; its failure must not go unheard.
    if (result instanceof Promise) result.catch((error: unknown) => report(error, event));
  };
  return collection.onChange((event) => {
    try {
      for (const key of keysFor(event)) settle(target.delete(key), event);
      if (prefixesFor !== undefined)
        for (const prefix of prefixesFor(event)) settle(target.invalidatePrefix(prefix), event);
      if (tagsFor !== undefined) {
        const tags = [...tagsFor(event)];
        if (tags.length > 0) settle(target.invalidateTags(tags), event);
      }
    } catch (error) {
      report(error, event);
      try {
        settle(target.clear(), event);
      } catch (clearError) {
        report(clearError, event);
      }
    }
  });
}

function warn(error: unknown, event: CollectionChange): void {
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(
    `[cache] invalidating for the ${event.type} of ${JSON.stringify(event.id)} failed: ${message}`,
    { code: 'VELLUM_CACHE_INVALIDATION' },
  );
}
