/**
 * What kind of failure an error is: the one fact a caller (the CLI's exit
 * code, an HTTP status) needs to react without knowing every code.
 * - `usage`: the call or its input is wrong; fix it and retry.
 * - `not-found`: what was named does not exist.
 * - `conflict`: someone else holds or changed it first; read again and retry.
 * - `corruption`: the data on disk is damaged; repair or restore it.
 * - `failure`: the operation failed for another reason (the disk, the OS, a bug).
 */
export type ErrorCategory = 'usage' | 'not-found' | 'conflict' | 'corruption' | 'failure';

/** Every category, in the order the catalogue (`docs/errors.md`) lists them. */
export const ERROR_CATEGORIES: readonly ErrorCategory[] = [
  'usage',
  'not-found',
  'conflict',
  'corruption',
  'failure',
];

/** A package's codes and the category of each: one table per package, in its `codes.ts`. */
export type ErrorCodeTable = Readonly<Record<`VELLUM_${string}`, ErrorCategory>>;

/**
 * The codes `@vellum/atomic-io` throws, and the shared ones every package
 * uses (`VELLUM_VALIDATION`, `VELLUM_NOT_FOUND`): a code is declared once, in
 * the lowest package that throws it.
 */
export const ATOMIC_IO_ERROR_CODES = {
  VELLUM_VALIDATION: 'usage',
  VELLUM_INVALID_ID: 'usage',
  VELLUM_NOT_SERIALIZABLE: 'usage',
  VELLUM_LOCK_USAGE: 'usage',
  VELLUM_NOT_FOUND: 'not-found',
  VELLUM_FILE_NOT_FOUND: 'not-found',
  VELLUM_LOCK_TIMEOUT: 'conflict',
  // The lock was taken over while held: another process wrote meanwhile, as in a lost race.
  VELLUM_LOCK_COMPROMISED: 'conflict',
  VELLUM_ITEM_LOCKED: 'conflict',
  VELLUM_CORRUPT_FILE: 'corruption',
  VELLUM_TORN_TAIL: 'corruption',
  VELLUM_WRITE_FAILED: 'failure',
  VELLUM_DISK_FULL: 'failure',
  VELLUM_NOT_DURABLE: 'failure',
  VELLUM_LOCK_FAILED: 'failure',
} as const satisfies ErrorCodeTable;

export type AtomicIoErrorCode = keyof typeof ATOMIC_IO_ERROR_CODES;

/** Codes of `process.emitWarning` warnings (never thrown): listed so the catalogue is complete. */
export const ATOMIC_IO_WARNING_CODES = ['VELLUM_RECOVERED_FROM_BACKUP'] as const;
