import type { ErrorCodeTable } from '@vellum/atomic-io';

/** The codes `@vellum/journal` throws, and the category of each (`docs/errors.md`). */
export const JOURNAL_ERROR_CODES = {
  VELLUM_JOURNAL_CLOSED: 'usage',
  VELLUM_JOURNAL_CORRUPT: 'corruption',
} as const satisfies ErrorCodeTable;

export type JournalErrorCode = keyof typeof JOURNAL_ERROR_CODES;
