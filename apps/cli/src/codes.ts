// The packages' code tables through their `codes` entry points: a few constants, so a command
// that fails at start-up does not pay for loading the packages themselves.
import { ATOMIC_IO_ERROR_CODES, type ErrorCodeTable } from '@vellum/atomic-io/codes';
import { BACKUP_ERROR_CODES } from '@vellum/backup/codes';
import { COLLECTION_ERROR_CODES } from '@vellum/collection/codes';
import { EXTERNAL_IDS_ERROR_CODES } from '@vellum/external-ids/codes';
import { HEALTH_ERROR_CODES } from '@vellum/health/codes';
import { JOURNAL_ERROR_CODES } from '@vellum/journal/codes';
import { MIGRATE_ERROR_CODES } from '@vellum/migrate/codes';

/** The codes only the CLI raises, and the category of each (`docs/errors.md`). */
export const CLI_ERROR_CODES = {
  VELLUM_USAGE: 'usage',
  VELLUM_INDEX_DRIFT: 'corruption',
  VELLUM_UNHEALTHY: 'corruption',
  // What the CLI reports for an error that carries no Vellum code (a bug, an fs error).
  VELLUM_FAILED: 'failure',
} as const satisfies ErrorCodeTable;

/** Every code a `CliError` may carry: the CLI's own and those of the packages it reports for. */
export const RAISABLE_CODES = {
  ...ATOMIC_IO_ERROR_CODES,
  ...JOURNAL_ERROR_CODES,
  ...COLLECTION_ERROR_CODES,
  ...BACKUP_ERROR_CODES,
  ...EXTERNAL_IDS_ERROR_CODES,
  ...HEALTH_ERROR_CODES,
  ...MIGRATE_ERROR_CODES,
  ...CLI_ERROR_CODES,
} as const satisfies ErrorCodeTable;

export type CliErrorCode = keyof typeof RAISABLE_CODES;
