import type { OperationMetric } from './types.js';

/**
 * Runs an operation, telling `report` how long it took and how many results it
 * gave. `now` is the store's clock, not the wall clock: it also names the daily
 * metrics file.
 */
export async function measure<R>(
  report: ((metric: OperationMetric) => void) | undefined,
  now: () => Date,
  operation: string,
  run: () => Promise<R>,
): Promise<R> {
  if (report === undefined) return run();
  const started = performance.now();
  const timestamp = now().toISOString();
  try {
    const result = await run();
    report({
      timestamp,
      operation,
      duration_ms: performance.now() - started,
      status: 'ok',
      result_count: resultCount(result),
    });
    return result;
  } catch (error) {
    report({
      timestamp,
      operation,
      duration_ms: performance.now() - started,
      status: 'error',
      result_count: 0,
    });
    throw error;
  }
}

function resultCount(result: unknown): number {
  if (result === undefined || result === null) return 0;
  if (Array.isArray(result)) return result.length;
  const items = (result as { items?: unknown }).items;
  return Array.isArray(items) ? items.length : 1;
}
