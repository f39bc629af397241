import type { ErrorCodeTable } from '@vellum/atomic-io';

/**
 * The codes `@vellum/health` throws, and the category of each
 * (`docs/errors.md`). Unusable options are the shared `VELLUM_VALIDATION` of
 * `@vellum/atomic-io`.
 */
export const HEALTH_ERROR_CODES = {
  VELLUM_INVALID_METRIC: 'usage',
} as const satisfies ErrorCodeTable;

export type HealthErrorCode = keyof typeof HEALTH_ERROR_CODES;

/** Codes of `process.emitWarning` warnings (never thrown): listed so the catalogue is complete. */
export const HEALTH_WARNING_CODES = ['VELLUM_METRICS_FLUSH_FAILED'] as const;
