import { resolve } from 'node:path';
import { defaultChecks } from './checks/index.js';
import { ValidationError, type ValidationIssue } from '@vellum/atomic-io';
import type { HealthCheck, HealthSource, HealthThresholds } from './types.js';

export interface HealthOptions {
  /** The store's root directory (`.ap-state`, `.pm`...). */
  root: string;
  /** Collections to check (indexes, journals, their state folders): `Collection` instances, or any `HealthSource`. */
  collections?: readonly HealthSource[] | undefined;
  /** More journal directories to verify. */
  journalDirs?: readonly string[] | undefined;
  /** The folder holding `checkpoints/YYYYMMDD_HHMMSS/`; without it the backup check is skipped. */
  backupDir?: string | undefined;
  /** How checkpoint names are read: `utc` (default, like the journal's days) or `local` (spec 000's `date`). */
  backupTimeZone?: 'utc' | 'local' | undefined;
  thresholds?: Partial<HealthThresholds> | undefined;
  /** The checks to run, in order. Default `defaultChecks`. */
  checks?: readonly HealthCheck[] | undefined;
  /** Clock, for tests. */
  now?: (() => Date) | undefined;
}

export const defaultThresholds: Readonly<HealthThresholds> = Object.freeze({
  minFreeBytes: 1024 * 1024 * 1024,
  criticalFreeBytes: 64 * 1024 * 1024,
  staleLockMs: 30_000,
  tempMaxAgeMs: 3_600_000,
  maxBackupAgeMs: 86_400_000,
  backupGraceMs: 3_600_000,
  journalSettleMs: 100,
  maxScanDepth: 32,
});

export interface NormalizedOptions {
  root: string;
  sources: readonly HealthSource[];
  dirs: readonly string[];
  journalDirs: readonly string[];
  backupDir: string | undefined;
  backupTimeZone: 'utc' | 'local';
  thresholds: Readonly<HealthThresholds>;
  checks: readonly HealthCheck[];
  now: () => Date;
}

const SOURCE_MEMBERS = ['verifyIndexes', 'files'] as const;
const SOURCE_DIRS = ['name', 'stateDir', 'journalDir'] as const;

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function checkSources(value: unknown, issues: ValidationIssue[]): HealthSource[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    issues.push({ path: ['collections'], message: 'must be an array' });
    return [];
  }
  value.forEach((source: unknown, i) => {
    if (typeof source !== 'object' || source === null) {
      issues.push({ path: ['collections', i], message: 'must be a collection' });
      return;
    }
    const members = source as Record<string, unknown>;
    for (const member of SOURCE_MEMBERS)
      if (typeof members[member] !== 'function')
        issues.push({ path: ['collections', i, member], message: 'must be a method' });
    for (const member of SOURCE_DIRS)
      if (!isText(members[member]))
        issues.push({ path: ['collections', i, member], message: 'must be a non-empty string' });
  });
  return value as HealthSource[];
}

function checkThresholds(value: unknown, issues: ValidationIssue[]): HealthThresholds {
  const thresholds = { ...defaultThresholds };
  if (value === undefined) return thresholds;
  if (typeof value !== 'object' || value === null) {
    issues.push({ path: ['thresholds'], message: 'must be an object' });
    return thresholds;
  }
  for (const [key, given] of Object.entries(value)) {
    if (given === undefined) continue;
    if (!(key in defaultThresholds)) {
      issues.push({ path: ['thresholds', key], message: 'unknown threshold' });
    } else if (typeof given !== 'number' || !Number.isFinite(given) || given < 0) {
      issues.push({ path: ['thresholds', key], message: 'must be a finite number ≥ 0' });
    } else {
      thresholds[key as keyof HealthThresholds] = given;
    }
  }
  return thresholds;
}

function checkChecks(value: unknown, issues: ValidationIssue[]): readonly HealthCheck[] {
  if (value === undefined) return defaultChecks;
  if (!Array.isArray(value)) {
    issues.push({ path: ['checks'], message: 'must be an array of checks' });
    return [];
  }
  const names = new Set<string>();
  value.forEach((check: unknown, i) => {
    const { name, run } = (check ?? {}) as { name?: unknown; run?: unknown };
    if (!isText(name) || typeof run !== 'function') {
      issues.push({ path: ['checks', i], message: 'must have a name and a run method' });
    } else if (names.has(name)) {
      issues.push({ path: ['checks', i, 'name'], message: `"${name}" is used twice` });
    } else names.add(name);
  });
  return value as HealthCheck[];
}

/**
 * Validates `checkHealth`'s options and fills in defaults.
 * @throws {ValidationError} listing every unusable option.
 */
export function normalizeOptions(options: HealthOptions): NormalizedOptions {
  const issues: ValidationIssue[] = [];
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError('checkHealth options', [{ path: [], message: 'must be an object' }]);
  }
  if (!isText(options.root)) issues.push({ path: ['root'], message: 'must be a non-empty string' });
  const sources = checkSources(options.collections, issues);
  const givenJournals: unknown = options.journalDirs ?? [];
  const extraJournals =
    Array.isArray(givenJournals) && givenJournals.every(isText) ? givenJournals : [];
  if (extraJournals !== givenJournals)
    issues.push({ path: ['journalDirs'], message: 'must be an array of non-empty strings' });
  if (options.backupDir !== undefined && !isText(options.backupDir))
    issues.push({ path: ['backupDir'], message: 'must be a non-empty string' });
  const zone = options.backupTimeZone ?? 'utc';
  if (zone !== 'utc' && zone !== 'local')
    issues.push({ path: ['backupTimeZone'], message: "must be 'utc' or 'local'" });
  const thresholds = checkThresholds(options.thresholds, issues);
  const checks = checkChecks(options.checks, issues);
  if (options.now !== undefined && typeof options.now !== 'function')
    issues.push({ path: ['now'], message: 'must be a function' });
  if (issues.length > 0) throw new ValidationError('checkHealth options', issues);

  const root = resolve(options.root);
  const stateDirs = sources.flatMap((source) => [source.stateDir, source.journalDir]);
  return {
    root,
    sources,
    dirs: [...new Set([root, ...stateDirs.map((dir) => resolve(dir))])],
    journalDirs: [
      ...new Set(
        [...sources.map((source) => source.journalDir), ...extraJournals].map((dir) =>
          resolve(dir),
        ),
      ),
    ],
    backupDir: options.backupDir === undefined ? undefined : resolve(options.backupDir),
    backupTimeZone: zone,
    thresholds,
    checks,
    now: options.now ?? (() => new Date()),
  };
}
