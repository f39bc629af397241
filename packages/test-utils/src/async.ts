/**
 * Runs `fn` over `items` with at most `limit` at a time, results in order.
 * After a failure no new item starts, and it rejects only once the running
 * ones have settled (nothing keeps writing into a directory the test is about
 * to remove).
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const settled = await Promise.allSettled(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker),
  );
  const rejection = settled.find((outcome) => outcome.status === 'rejected');
  if (rejection !== undefined) throw rejection.reason;
  return results;
}

/** A clock that starts at `start` (ISO 8601) and moves `stepMs` on every reading. */
export function fakeClock(start: string, stepMs = 0): () => Date {
  let now = Date.parse(start);
  if (Number.isNaN(now)) throw new Error(`fakeClock: ${start} is not a date`);
  return () => {
    const date = new Date(now);
    now += stepMs;
    return date;
  };
}
