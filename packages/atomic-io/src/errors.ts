import { ATOMIC_IO_ERROR_CODES, type AtomicIoErrorCode, type ErrorCategory } from './codes.js';

/**
 * Every error Vellum throws is a `VellumError` with a stable `code` and the
 * `category` its package's code table gives it (`docs/errors.md`).
 * Codes are part of the public API: match on `code`, not on the message.
 * Messages start with their subject (a path, a collection, an id), then say
 * what is wrong.
 */
export interface VellumErrorOptions {
  path?: string | undefined;
  cause?: unknown;
}

export class VellumError extends Error {
  readonly code: string;
  readonly category: ErrorCategory;
  readonly path: string | undefined;

  /** Packages do not call this directly: their base class takes `category` from their code table. */
  constructor(
    code: string,
    category: ErrorCategory,
    message: string,
    options: VellumErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.category = category;
    this.path = options.path;
  }
}

/** The errors of `@vellum/atomic-io`: the category comes from `ATOMIC_IO_ERROR_CODES`. */
export class AtomicIoError extends VellumError {
  constructor(code: AtomicIoErrorCode, message: string, options: VellumErrorOptions = {}) {
    super(code, ATOMIC_IO_ERROR_CODES[code], message, options);
  }
}

/**
 * One thing wrong with an input: where (`path`, empty for the whole value),
 * what, and optionally a machine-readable `code` (a schema library's issue code).
 */
export interface ValidationIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly code?: string | undefined;
}

function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues
    .map(
      (issue) => `${issue.path.length === 0 ? '(value)' : issue.path.join('.')}: ${issue.message}`,
    )
    .join('; ');
}

/**
 * Bad input (`VELLUM_VALIDATION`): a document that fails its schema, a bad
 * query, an argument or option out of range. Nothing was read or written.
 * `subject` names what was invalid ("patch of T-1", "cache arguments").
 */
export class ValidationError extends AtomicIoError {
  readonly issues: readonly ValidationIssue[];
  constructor(
    subject: string,
    issues: readonly ValidationIssue[],
    options: VellumErrorOptions = {},
  ) {
    super('VELLUM_VALIDATION', `invalid ${subject}: ${describeIssues(issues)}`, options);
    this.issues = issues;
  }
}

/** A write did not complete; the target is unchanged (`VELLUM_WRITE_FAILED`). */
export class WriteError extends AtomicIoError {
  readonly errno: string | undefined;
  constructor(message: string, options: VellumErrorOptions & { errno?: string | undefined } = {}) {
    super('VELLUM_WRITE_FAILED', message, options);
    this.errno = options.errno;
  }
}

/** A file named as input does not exist (`VELLUM_FILE_NOT_FOUND`): never read as empty. */
export class FileNotFoundError extends AtomicIoError {
  constructor(path: string, what = 'file') {
    super('VELLUM_FILE_NOT_FOUND', `${path}: no such ${what}`, { path });
  }
}

/** The disk or a size limit is full (ENOSPC, EDQUOT, EFBIG); the target is unchanged. */
export class DiskFullError extends AtomicIoError {
  readonly errno: string | undefined;
  constructor(message: string, options: VellumErrorOptions & { errno?: string | undefined } = {}) {
    super('VELLUM_DISK_FULL', message, options);
    this.errno = options.errno;
  }
}

/**
 * The new content was renamed into place but fsync of the directory failed:
 * it is visible now and may not survive a power loss.
 */
export class DurabilityError extends AtomicIoError {
  constructor(message: string, options: VellumErrorOptions = {}) {
    super('VELLUM_NOT_DURABLE', message, options);
  }
}

/** A value cannot be written as JSON (undefined, a BigInt, a cycle...). */
export class SerializationError extends AtomicIoError {
  constructor(message: string, options: VellumErrorOptions = {}) {
    super('VELLUM_NOT_SERIALIZABLE', message, options);
  }
}

/** A file cannot be parsed, or does not match its schema. It is never modified by the reader. */
export class CorruptFileError extends AtomicIoError {
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly offset: number | undefined;
  readonly issues: readonly ValidationIssue[];
  constructor(
    message: string,
    options: VellumErrorOptions & {
      line?: number | undefined;
      column?: number | undefined;
      offset?: number | undefined;
      issues?: readonly ValidationIssue[];
    },
  ) {
    super('VELLUM_CORRUPT_FILE', message, options);
    this.line = options.line;
    this.column = options.column;
    this.offset = options.offset;
    this.issues = options.issues ?? [];
  }
}

export interface TornTail {
  /** 1-based number of the first line of the tail. */
  line: number;
  /** Byte offset where the tail starts: the file's length after repair. */
  offset: number;
  /** Bytes in the tail. */
  bytes: number;
  reason: 'incomplete-line' | 'invalid-line';
}

/** A JSONL file ends in a partial record: a write was cut off. `repairTail` fixes it. */
export class TornTailError extends AtomicIoError {
  readonly tail: TornTail;
  constructor(message: string, options: VellumErrorOptions & { tail: TornTail }) {
    super('VELLUM_TORN_TAIL', message, options);
    this.tail = options.tail;
  }
}

/** An id that would become a file name is unsafe (`VELLUM_INVALID_ID`). */
export class InvalidIdError extends AtomicIoError {
  readonly id: string;
  readonly reason: string;
  constructor(id: string, reason: string, options: VellumErrorOptions = {}) {
    super('VELLUM_INVALID_ID', `id ${JSON.stringify(id)}: invalid: ${reason}`, options);
    this.id = id;
    this.reason = reason;
  }
}

export interface LockHolder {
  pid: number;
  hostname: string;
  acquiredAt: string;
}

function describeHolder(holder: LockHolder | undefined): string {
  return holder === undefined
    ? 'holder unknown'
    : `held by pid ${holder.pid} on ${holder.hostname} since ${holder.acquiredAt}`;
}

/** The lock was not acquired in time (`VELLUM_LOCK_TIMEOUT`). */
export class LockTimeoutError extends AtomicIoError {
  readonly holder: LockHolder | undefined;
  readonly waitedMs: number;
  constructor(path: string, waitedMs: number, holder: LockHolder | undefined) {
    super(
      'VELLUM_LOCK_TIMEOUT',
      `${path}: lock not acquired after ${waitedMs} ms (${describeHolder(holder)})`,
      { path },
    );
    this.holder = holder;
    this.waitedMs = waitedMs;
  }
}

/**
 * The lock was lost while held (the holder stalled past `stale` and another
 * process took over). Nothing was committed after the loss was detected.
 */
export class LockCompromisedError extends AtomicIoError {
  constructor(path: string, reason: string, options: VellumErrorOptions = {}) {
    super('VELLUM_LOCK_COMPROMISED', `${path}: lock compromised: ${reason}`, {
      ...options,
      path,
    });
  }
}

/** Misuse of a lock: re-entering a lock already held by the same call chain. */
export class LockUsageError extends AtomicIoError {
  constructor(path: string, message: string) {
    super('VELLUM_LOCK_USAGE', message, { path });
  }
}

/** An item-level lock (spec 002) is held by someone else and has not expired. */
export class ItemLockedError extends AtomicIoError {
  readonly itemId: string;
  readonly lockedBy: string;
  readonly expiresAt: Date;
  constructor(itemId: string, lockedBy: string, expiresAt: Date, path: string) {
    super(
      'VELLUM_ITEM_LOCKED',
      `item ${itemId}: locked by ${lockedBy} until ${expiresAt.toISOString()}`,
      { path },
    );
    this.itemId = itemId;
    this.lockedBy = lockedBy;
    this.expiresAt = expiresAt;
  }
}

const DISK_FULL_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

export function errnoOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Wraps an fs error from a write path into the typed family. */
export function toWriteError(error: unknown, path: string, action: string): VellumError {
  if (error instanceof VellumError) return error;
  const errno = errnoOf(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (errno !== undefined && DISK_FULL_ERRNOS.has(errno)) {
    return new DiskFullError(`${action} ${path}: disk full (${detail})`, {
      path,
      cause: error,
      errno,
    });
  }
  return new WriteError(`${action} ${path}: ${detail}`, { path, cause: error, errno });
}
