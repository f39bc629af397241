import { VellumError } from '@vellum/atomic-io';

/** The package's errors: `VellumError`s with a stable `code` (match on it, not on the message). */
export class CacheError extends VellumError {
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

export interface ValidationIssue {
  /** The argument at fault, e.g. `['policies', 'tickets', 'max']`. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** An argument was rejected before the cache changed (`VELLUM_VALIDATION`). */
export class ValidationError extends CacheError {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    const detail = issues
      .map(
        (issue) =>
          `${issue.path.length === 0 ? '(value)' : issue.path.join('.')}: ${issue.message}`,
      )
      .join('; ');
    super('VELLUM_VALIDATION', `[cache] invalid arguments: ${detail}`);
    this.issues = issues;
  }
}

/** `registry.cache(name)` named a cache that has no policy (`VELLUM_CACHE_UNKNOWN`). */
export class UnknownCacheError extends CacheError {
  readonly cacheName: string;
  readonly known: readonly string[];

  constructor(cacheName: string, known: readonly string[]) {
    super(
      'VELLUM_CACHE_UNKNOWN',
      `[cache] no cache named ${JSON.stringify(cacheName)}; the registry has ${known.map((name) => JSON.stringify(name)).join(', ') || 'none'}`,
    );
    this.cacheName = cacheName;
    this.known = known;
  }
}
