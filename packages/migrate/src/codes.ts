import type { ErrorCodeTable } from '@vellum/atomic-io';

/** The codes `@vellum/migrate` throws, and the category of each (`docs/errors.md`). */
export const MIGRATE_ERROR_CODES = {
  VELLUM_MIGRATION_PLAN: 'usage',
  VELLUM_INVALID_MIGRATIONS: 'usage',
  VELLUM_MIGRATION_IN_PROGRESS: 'conflict',
  VELLUM_MIGRATION_FAILED: 'failure',
  // Newer data than this code knows: no input fixes it, the application must be upgraded.
  VELLUM_STORE_TOO_NEW: 'failure',
  VELLUM_DOCUMENT_VERSION: 'failure',
} as const satisfies ErrorCodeTable;

export type MigrateErrorCode = keyof typeof MIGRATE_ERROR_CODES;

/** Codes of `process.emitWarning` warnings (never thrown): listed so the catalogue is complete. */
export const MIGRATE_WARNING_CODES = ['VELLUM_PROGRESS_LISTENER_FAILED'] as const;
