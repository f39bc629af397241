/** Documented exit codes: part of the CLI's contract. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  corruption: 5,
} as const;

const BY_CODE: Record<string, number> = {
  VELLUM_USAGE: EXIT.usage,
  VELLUM_VALIDATION: EXIT.usage,
  VELLUM_INVALID_ID: EXIT.usage,
  VELLUM_NOT_SERIALIZABLE: EXIT.usage,
  VELLUM_MIGRATION_PLAN: EXIT.usage,
  VELLUM_BACKUP_USAGE: EXIT.usage,
  VELLUM_BACKUP_TARGET: EXIT.usage,
  VELLUM_NOT_FOUND: EXIT.notFound,
  VELLUM_NO_STORE: EXIT.notFound,
  VELLUM_NOT_MAPPED: EXIT.notFound,
  VELLUM_BACKUP_NOT_FOUND: EXIT.notFound,
  VELLUM_CONFLICT: EXIT.conflict,
  VELLUM_MAPPING_CONFLICT: EXIT.conflict,
  VELLUM_LOCK_TIMEOUT: EXIT.conflict,
  VELLUM_ITEM_LOCKED: EXIT.conflict,
  VELLUM_MIGRATION_IN_PROGRESS: EXIT.conflict,
  VELLUM_BACKUP_EXISTS: EXIT.conflict,
  VELLUM_CORRUPT_FILE: EXIT.corruption,
  VELLUM_INDEX_DRIFT: EXIT.corruption,
  VELLUM_TORN_TAIL: EXIT.corruption,
  VELLUM_JOURNAL_CORRUPT: EXIT.corruption,
  VELLUM_BACKUP_CORRUPT: EXIT.corruption,
  VELLUM_STATE_UNREADABLE: EXIT.corruption,
  VELLUM_UNHEALTHY: EXIT.corruption,
};

/** The exit code for an error's stable `code`. */
export function exitCodeFor(code: string | undefined): number {
  return (code === undefined ? undefined : BY_CODE[code]) ?? EXIT.failure;
}
