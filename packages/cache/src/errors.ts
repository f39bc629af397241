import { VellumError } from '@vellum/atomic-io';
import { CACHE_ERROR_CODES, type CacheErrorCode } from './codes.js';

// One `ValidationError` for every package: re-exported because this package's API has always named it.
export { ValidationError, type ValidationIssue } from '@vellum/atomic-io';

/** The package's errors: `VellumError`s with a stable `code` (match on it, not on the message). */
export class CacheError extends VellumError {
  constructor(code: CacheErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, CACHE_ERROR_CODES[code], message, options);
  }
}

/** `registry.cache(name)` named a cache that has no policy (`VELLUM_CACHE_UNKNOWN`). */
export class UnknownCacheError extends CacheError {
  readonly cacheName: string;
  readonly known: readonly string[];

  constructor(cacheName: string, known: readonly string[]) {
    super(
      'VELLUM_CACHE_UNKNOWN',
      `cache ${JSON.stringify(cacheName)}: no such cache; the registry has ${known.map((name) => JSON.stringify(name)).join(', ') || 'none'}`,
    );
    this.cacheName = cacheName;
    this.known = known;
  }
}
