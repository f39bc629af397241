import { intersectSorted } from '@vellum/index';
import { ValidationError } from './errors.js';
import { decodeCursor, encodeCursor, project } from './project.js';
import type { CollectionState } from './state.js';
import type { Condition, Page, QueryOptions, SearchItem, SearchOptions } from './types.js';

/**
 * Ids matching every condition (all ids without conditions), sorted.
 * @throws {ValidationError} an unknown index.
 */
export function select<T>(
  state: CollectionState<T>,
  where: Record<string, Condition> | undefined,
): string[] {
  const conditions = Object.entries(where ?? {});
  if (conditions.length === 0) return state.allIds();
  return intersectSorted(conditions.map(([name, condition]) => match(state, name, condition)));
}

function match<T>(state: CollectionState<T>, name: string, condition: Condition): string[] {
  const entry = state.indexes.get(name);
  if (entry === undefined) {
    const known = [...state.indexes.keys()].join(', ') || 'none';
    throw new ValidationError('query', [
      { path: ['where', name], message: `no such index (indexes: ${known})` },
    ]);
  }
  const { index } = entry;
  if (typeof condition !== 'object' || condition === null) return index.get(condition);
  if ('in' in condition) return index.in(condition.in);
  if ('prefix' in condition) return index.prefix(condition.prefix);
  return index.range(condition);
}

/**
 * Documents matching every condition, sorted by id, one page.
 * @throws {ValidationError} an unknown index or a bad cursor.
 */
export function query<T>(state: CollectionState<T>, options: QueryOptions): Page<T> {
  const ids = select(state, options.where);
  const limit = options.limit ?? 100;
  let start = 0;
  if (options.cursor !== undefined) {
    const after = decodeCursor(options.cursor);
    if (typeof after !== 'string') {
      throw new ValidationError('query', [
        { path: ['cursor'], message: 'not a cursor this collection returned' },
      ]);
    }
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ids[mid] ?? '') <= after) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const slice = ids.slice(start, start + limit);
  const items = slice.map((id) => project(state.docs.get(id)?.doc, options.fields) as T);
  const last = slice.at(-1);
  const nextCursor =
    start + limit < ids.length && last !== undefined ? encodeCursor(last) : undefined;
  return { items, nextCursor, total: ids.length };
}

/**
 * Full-text search, best match first (BM25), one page.
 * @throws {ValidationError} the collection has no full-text index, or a bad cursor.
 */
export function search<T>(
  state: CollectionState<T>,
  text: string,
  options: SearchOptions,
): Page<SearchItem<T>> {
  const index = state.ensureFullText();
  if (index === undefined || state.fullText === undefined) {
    throw new ValidationError('search', [
      { path: [], message: `${state.name} has no full-text index` },
    ]);
  }
  const hits = index.search(text, {
    prefix: options.prefix ?? true,
    kinds: [state.fullText.kind],
  });
  const offset = options.cursor === undefined ? 0 : decodeCursor(options.cursor);
  if (typeof offset !== 'number') {
    throw new ValidationError('search', [
      { path: ['cursor'], message: 'not a cursor this collection returned' },
    ]);
  }
  const limit = options.limit ?? 20;
  const items = hits.slice(offset, offset + limit).map((hit) => ({
    id: hit.id,
    score: hit.score,
    doc: project(state.docs.get(hit.id)?.doc, options.fields) as T,
  }));
  const nextCursor = offset + limit < hits.length ? encodeCursor(offset + limit) : undefined;
  return { items, nextCursor, total: hits.length };
}
