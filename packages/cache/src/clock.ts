/** A monotonic clock in milliseconds; TTLs are measured on it. */
export interface Clock {
  now(): number;
}

/**
 * `performance.now()`, looked up at every call. lru-cache's own default
 * captures `performance` when it is imported, so a clock installed later
 * (vitest's fake timers replace `globalThis.performance`) would be ignored.
 */
export const performanceClock: Clock = { now: () => performance.now() };

/**
 * The clock as lru-cache's `perf` option. lru-cache reads a start time of 0
 * as "no TTL", so an entry set while a clock reads 0 (a fake clock just
 * installed) would never expire; shifting every reading by 1 ms changes no
 * duration.
 */
export function toPerf(clock: Clock): { now: () => number } {
  return { now: () => clock.now() + 1 };
}
