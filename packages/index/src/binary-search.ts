/**
 * First position in `items` where `isAfter` holds, for a
 * predicate that is false and then true along the array (binary search).
 */
export function firstIndexWhere<T>(items: readonly T[], isAfter: (item: T) => boolean): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (isAfter(items[mid] as T)) high = mid;
    else low = mid + 1;
  }
  return low;
}
