import type { ErrorCodeTable } from '@vellum/atomic-io';

/**
 * The codes `@vellum/external-ids` throws, and the category of each
 * (`docs/errors.md`). It also throws the shared `VELLUM_VALIDATION` and
 * `VELLUM_NOT_FOUND` of `@vellum/atomic-io`.
 */
export const EXTERNAL_IDS_ERROR_CODES = {
  VELLUM_NOT_MAPPED: 'not-found',
  VELLUM_MAPPING_CONFLICT: 'conflict',
  // Not a fault and not the caller's: the state refuses until a person resets the counter.
  VELLUM_COUNTER_EXHAUSTED: 'conflict',
  VELLUM_STATE_UNREADABLE: 'corruption',
  // Written by a newer tool: this code cannot read it, whatever the caller does.
  VELLUM_UNSUPPORTED_VERSION: 'failure',
} as const satisfies ErrorCodeTable;

export type ExternalIdsErrorCode = keyof typeof EXTERNAL_IDS_ERROR_CODES;
