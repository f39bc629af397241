/**
 * Sorted, duplicate-free arrays of ids: the currency of every query. Ids are
 * ordered by UTF-16 code units, the order of `Array.prototype.sort()`, so
 * callers can intersect, merge and paginate them with plain comparisons.
 */

/** First position in sorted `ids` from `from` on whose id is not before `id`. */
export function lowerBound(ids: readonly string[], id: string, from = 0): number {
  let low = from;
  let high = ids.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((ids[mid] as string) < id) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Inserts `id` in place; `false` when it was already there. */
export function insertSorted(ids: string[], id: string): boolean {
  // Ids usually arrive in increasing order: appending is the common case.
  const last = ids[ids.length - 1];
  if (last === undefined || last < id) {
    ids.push(id);
    return true;
  }
  const at = lowerBound(ids, id);
  if (ids[at] === id) return false;
  ids.splice(at, 0, id);
  return true;
}

/** Removes `id` in place; `false` when it was not there. */
export function removeSorted(ids: string[], id: string): boolean {
  const at = lowerBound(ids, id);
  if (ids[at] !== id) return false;
  ids.splice(at, 1);
  return true;
}

/**
 * `ids` sorted and without duplicates, in place. Input that is already sorted
 * (everything this package writes) costs one pass and no sort.
 */
export function sortUnique(ids: string[]): string[] {
  let sorted = true;
  for (let i = 1; i < ids.length; i++) {
    if (!((ids[i - 1] as string) < (ids[i] as string))) {
      sorted = false;
      break;
    }
  }
  if (sorted) return ids;
  ids.sort();
  let kept = 0;
  for (let i = 0; i < ids.length; i++) {
    if (kept === 0 || ids[i] !== ids[kept - 1]) ids[kept++] = ids[i] as string;
  }
  ids.length = kept;
  return ids;
}

function mergeTwo(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as string;
    const y = b[j] as string;
    if (x < y) {
      out.push(x);
      i++;
    } else if (y < x) {
      out.push(y);
      j++;
    } else {
      out.push(x);
      i++;
      j++;
    }
  }
  while (i < a.length) out.push(a[i++] as string);
  while (j < b.length) out.push(b[j++] as string);
  return out;
}

/** Up to this many lists are merged pairwise; more are concatenated and sorted. */
const MERGE_LISTS = 8;

/**
 * The sorted union of sorted id lists (an id under several keys appears once).
 * A few long lists merge in linear time; many short ones (a range over
 * distinct keys) are concatenated and sorted natively, which beats thousands
 * of small merges and costs one pass when the ids are already in order.
 */
export function unionSorted(lists: readonly (readonly string[])[]): string[] {
  let round: (readonly string[])[] = lists.filter((list) => list.length > 0);
  if (round.length > MERGE_LISTS) return sortUnique(round.flat());
  if (round.length === 0) return [];
  while (round.length > 1) {
    const next: (readonly string[])[] = [];
    for (let i = 0; i < round.length; i += 2) {
      const second = round[i + 1];
      next.push(
        second === undefined
          ? (round[i] as readonly string[])
          : mergeTwo(round[i] as readonly string[], second),
      );
    }
    round = next;
  }
  return [...(round[0] as readonly string[])];
}

/** Ids of sorted `a` that are not in sorted `b`, in order. */
export function differenceSorted(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let j = 0;
  for (const id of a) {
    while (j < b.length && (b[j] as string) < id) j++;
    if (b[j] !== id) out.push(id);
  }
  return out;
}

/**
 * The sorted intersection of sorted id lists: the AND of several queries.
 * Starts from the shortest list; against a much longer list it binary-searches
 * forward instead of scanning, so a selective condition stays cheap.
 */
export function intersectSorted(lists: readonly (readonly string[])[]): string[] {
  if (lists.length === 0) return [];
  const bySize = [...lists].sort((a, b) => a.length - b.length);
  let result: string[] = [...(bySize[0] as readonly string[])];
  for (let l = 1; l < bySize.length && result.length > 0; l++) {
    const other = bySize[l] as readonly string[];
    const kept: string[] = [];
    // Binary search wins when the other list is much longer than what is left.
    const search = other.length > result.length * 16;
    let j = 0;
    for (const id of result) {
      if (search) j = lowerBound(other, id, j);
      else while (j < other.length && (other[j] as string) < id) j++;
      if (j === other.length) break;
      if (other[j] === id) kept.push(id);
    }
    result = kept;
  }
  return result;
}
