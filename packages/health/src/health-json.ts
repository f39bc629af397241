import { relative, resolve, sep } from 'node:path';
import {
  isTempName,
  ValidationError,
  writeJsonAtomic,
  type ValidationIssue,
} from '@vellum/atomic-io';
import { parseSegmentName } from '@vellum/journal';
import type { MetricsSummary } from './metrics-summary.js';
import type { HealthReport, HealthStatus, Severity } from './types.js';
import { walk } from './walk.js';

/** Spec 002's `.pm/health.json`, plus `status` and `issues` when a health report is given. */
export interface HealthJson {
  last_check: string;
  storage: {
    total_size_mb: number;
    file_count: number;
    /** Relative to the root, `/`-separated; `null` in an empty store. */
    largest_file: string | null;
    /** Share of the bytes that compaction or clean-up would reclaim (0–1). */
    fragmentation: number;
  };
  performance: {
    /** `null` when no read was measured. */
    avg_read_ms: number | null;
    avg_write_ms: number | null;
    /** `null` without cache statistics. */
    cache_hit_rate: number | null;
  };
  status?: HealthStatus;
  issues?: { code: string; severity: Severity; message: string; path?: string }[];
}

export interface HealthJsonOptions {
  /** The store's root directory: sizes and counts cover every file under it. */
  root: string;
  /** Operation metrics (`recorder.summary()` or `readMetricsSummary`), for the average times. */
  metrics?: MetricsSummary | undefined;
  /** Cache statistics, for the hit rate. */
  cache?: { hits: number; misses: number } | undefined;
  /** A `checkHealth` report: adds `status` and `issues`. */
  health?: HealthReport | undefined;
  /** Operation names that count as reads. Default: a collection's `get`, `query`, `search`, `count`. */
  readOperations?: readonly string[] | undefined;
  /** Operation names that count as writes. Default: a collection's `put`, `patch`, `delete`, `batch`. */
  writeOperations?: readonly string[] | undefined;
  /** How deep the size scan goes. Default 32. */
  maxScanDepth?: number | undefined;
  /** Clock, for tests. */
  now?: (() => Date) | undefined;
}

export const defaultReadOperations: readonly string[] = Object.freeze([
  'get',
  'query',
  'search',
  'count',
]);
export const defaultWriteOperations: readonly string[] = Object.freeze([
  'put',
  'patch',
  'delete',
  'batch',
]);

// Quarantined copies: `<name>.corrupt-<UTC time>-<hex>` and `<name>.torn-...` (atomic-io).
const QUARANTINED = /\.(?:corrupt|torn)-\d{8}T\d{6}Z-[0-9a-f]+$/;

/**
 * Bytes that compaction or clean-up would reclaim: journal segments (folded
 * into the snapshot by compaction), quarantined copies and temp files.
 */
function reclaimable(name: string): boolean {
  return parseSegmentName(name) !== undefined || QUARANTINED.test(name) || isTempName(name);
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

function averageMs(summary: MetricsSummary, operations: readonly string[]): number | null {
  let count = 0;
  let totalMs = 0;
  for (const operation of operations) {
    const stats = summary[operation];
    if (stats === undefined) continue;
    count += stats.count;
    totalMs += stats.totalMs;
  }
  return count === 0 ? null : round(totalMs / count, 3);
}

function validate(options: HealthJsonOptions): void {
  const issues: ValidationIssue[] = [];
  if (typeof options?.root !== 'string' || options.root === '')
    issues.push({ path: ['root'], message: 'must be a non-empty string' });
  const cache = options?.cache;
  if (cache !== undefined) {
    for (const key of ['hits', 'misses'] as const) {
      const value = (cache as Record<string, unknown> | null)?.[key];
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
        issues.push({ path: ['cache', key], message: 'must be a finite number ≥ 0' });
    }
  }
  if (issues.length > 0) throw new ValidationError('buildHealthJson options', issues);
}

/**
 * Measures the store for spec 002's `health.json`: total size, file count,
 * largest file and fragmentation from a scan of `root`; average read and
 * write times from operation metrics; the hit rate from cache statistics.
 * @throws {ValidationError} the options are unusable.
 */
export async function buildHealthJson(options: HealthJsonOptions): Promise<HealthJson> {
  validate(options);
  const root = resolve(options.root);
  const { entries } = await walk([root], options.maxScanDepth ?? 32);
  let totalBytes = 0;
  let reclaimableBytes = 0;
  let fileCount = 0;
  let largest: { path: string; size: number } | undefined;
  for (const entry of entries) {
    if (entry.kind !== 'file') continue;
    fileCount++;
    totalBytes += entry.size;
    if (reclaimable(entry.name)) reclaimableBytes += entry.size;
    if (largest === undefined || entry.size > largest.size) largest = entry;
  }
  const summary = options.metrics ?? {};
  const cache = options.cache;
  const lookups = cache === undefined ? 0 : cache.hits + cache.misses;
  const health: HealthJson = {
    last_check: (options.now?.() ?? new Date()).toISOString(),
    storage: {
      total_size_mb: round(totalBytes / (1024 * 1024), 2),
      file_count: fileCount,
      largest_file:
        largest === undefined ? null : relative(root, largest.path).split(sep).join('/'),
      fragmentation: totalBytes === 0 ? 0 : round(reclaimableBytes / totalBytes, 4),
    },
    performance: {
      avg_read_ms: averageMs(summary, options.readOperations ?? defaultReadOperations),
      avg_write_ms: averageMs(summary, options.writeOperations ?? defaultWriteOperations),
      cache_hit_rate: cache === undefined || lookups === 0 ? null : round(cache.hits / lookups, 4),
    },
  };
  if (options.health !== undefined) {
    health.status = options.health.status;
    health.issues = options.health.issues.map((issue) => ({ ...issue }));
  }
  return health;
}

/**
 * Writes `health` to `path` atomically (temp file, fsync, rename, directory
 * fsync): a reader sees the previous report or the new one, never half of one.
 * @throws {DiskFullError | WriteError | DurabilityError} from `writeJsonAtomic`.
 */
export async function writeHealthJson(path: string, health: HealthJson): Promise<void> {
  await writeJsonAtomic(path, health);
}
