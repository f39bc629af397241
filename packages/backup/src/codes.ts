import type { ErrorCodeTable } from '@vellum/atomic-io';

/** The codes `@vellum/backup` throws, and the category of each (`docs/errors.md`). */
export const BACKUP_ERROR_CODES = {
  VELLUM_BACKUP_USAGE: 'usage',
  VELLUM_BACKUP_TARGET: 'usage',
  VELLUM_BACKUP_NOT_FOUND: 'not-found',
  // The journal records needed to reach the target are gone (compacted) or belong to another history.
  VELLUM_BACKUP_HISTORY_MISSING: 'not-found',
  VELLUM_BACKUP_EXISTS: 'conflict',
  VELLUM_BACKUP_CORRUPT: 'corruption',
} as const satisfies ErrorCodeTable;

export type BackupErrorCode = keyof typeof BACKUP_ERROR_CODES;
