import type { ErrorCodeTable } from '@vellum/atomic-io';

/** The codes `@vellum/index` throws, and the category of each (`docs/errors.md`). */
export const INDEX_ERROR_CODES = {
  VELLUM_INVALID_KEY: 'usage',
  VELLUM_INVALID_QUERY: 'usage',
  VELLUM_UNIQUE_VIOLATION: 'conflict',
  // Built with other settings: its terms cannot be trusted, as with a damaged file; rebuild it.
  VELLUM_INDEX_MISMATCH: 'corruption',
} as const satisfies ErrorCodeTable;

export type IndexErrorCode = keyof typeof INDEX_ERROR_CODES;
