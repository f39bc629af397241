import type { ErrorCodeTable } from '@vellum/atomic-io';

/**
 * The codes `@vellum/cache` throws, and the category of each
 * (`docs/errors.md`). It also throws the shared `VELLUM_VALIDATION` of
 * `@vellum/atomic-io`.
 */
export const CACHE_ERROR_CODES = {
  // The name comes from the program, not from data: a cache without a policy is a wiring mistake.
  VELLUM_CACHE_UNKNOWN: 'usage',
} as const satisfies ErrorCodeTable;

export type CacheErrorCode = keyof typeof CACHE_ERROR_CODES;

/** Codes of `process.emitWarning` warnings (never thrown): listed so the catalogue is complete. */
export const CACHE_WARNING_CODES = ['VELLUM_CACHE_INVALIDATION'] as const;
