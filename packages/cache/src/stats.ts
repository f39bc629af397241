/** One cache's counters since it was created (or since `resetStats()`). */
export interface CacheStats {
  readonly name: string;
  /** Lookups (`get`, `getOrLoad`) that found a live entry. */
  readonly hits: number;
  /** Lookups that found nothing, or only an expired entry. */
  readonly misses: number;
  /** `hits / (hits + misses)`; 0 before the first lookup. */
  readonly hitRate: number;
  /** Entries pushed out by the size limit, least recently used first. */
  readonly evictions: number;
  /** Entries dropped because their TTL passed. */
  readonly expirations: number;
  /** Entries removed by `delete`, `invalidatePrefix`, `invalidateTags` or `clear`. */
  readonly invalidations: number;
  /** Loader calls made by `getOrLoad` (concurrent misses for one key share one). */
  readonly loads: number;
  /** Loader calls that failed (nothing was cached). */
  readonly loadErrors: number;
  /** Live entries now. */
  readonly size: number;
  /** The size limit. */
  readonly max: number;
}

/** The counters a cache keeps; `CacheStats` without what is computed or read at report time. */
export class Counters {
  hits = 0;
  misses = 0;
  evictions = 0;
  expirations = 0;
  invalidations = 0;
  loads = 0;
  loadErrors = 0;

  report(name: string, size: number, max: number): CacheStats {
    const lookups = this.hits + this.misses;
    return {
      name,
      hits: this.hits,
      misses: this.misses,
      hitRate: lookups === 0 ? 0 : this.hits / lookups,
      evictions: this.evictions,
      expirations: this.expirations,
      invalidations: this.invalidations,
      loads: this.loads,
      loadErrors: this.loadErrors,
      size,
      max,
    };
  }
}
