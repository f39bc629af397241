import type { ErrorCodeTable } from '@vellum/atomic-io';

/**
 * The codes `@vellum/collection` throws, and the category of each
 * (`docs/errors.md`). It also throws the shared `VELLUM_VALIDATION` and
 * `VELLUM_NOT_FOUND` of `@vellum/atomic-io`.
 */
export const COLLECTION_ERROR_CODES = {
  VELLUM_COLLECTION_CLOSED: 'usage',
  VELLUM_NO_STORE: 'not-found',
  VELLUM_CONFLICT: 'conflict',
  VELLUM_STORE_EXISTS: 'conflict',
} as const satisfies ErrorCodeTable;

export type CollectionErrorCode = keyof typeof COLLECTION_ERROR_CODES;

/** Codes of `process.emitWarning` warnings (never thrown): listed so the catalogue is complete. */
export const COLLECTION_WARNING_CODES = [
  'VELLUM_QUARANTINED',
  'VELLUM_FLUSH_FAILED',
  'VELLUM_HISTORY_GAP',
] as const;
