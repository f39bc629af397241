import { VellumError } from '@vellum/atomic-io/errors';
import pc from 'picocolors';
import { RAISABLE_CODES, type CliErrorCode } from './codes.js';
import { exitCodeFor } from './exit-codes.js';
import type { Io } from './io.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  /** Where this run writes. */
  io: Io;
}

/** The members of an error that say where and what, for `details`. */
const DETAIL_KEYS = ['path', 'backupPath', 'line', 'column', 'issues'] as const;

/**
 * The machine-readable facts of an error (`path`, `line`, `issues`...), and
 * those of its `cause` under `cause`: what `--json` reports as `details`.
 */
export function detailsOf(error: unknown): Record<string, unknown> | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as Record<string, unknown>;
  const details: Record<string, unknown> = {};
  for (const key of DETAIL_KEYS) {
    const value = e[key];
    // CorruptFileError always has `issues`, mostly empty: nothing to tell.
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) details[key] = value;
  }
  const cause = detailsOf(e.cause);
  if (cause !== undefined) details.cause = cause;
  return Object.keys(details).length === 0 ? undefined : details;
}

/**
 * An error the CLI itself raises: bad usage, something missing, a report that
 * found problems. Its category (so its exit code) comes from the code's table.
 */
export class CliError extends VellumError {
  /** Given, or else those of `cause`: rewording a library's error must not lose where it happened. */
  readonly details: unknown;
  /** The command already printed its result (a report that found problems): with `--json`, nothing more goes to stdout. */
  readonly reported: boolean;
  constructor(
    code: CliErrorCode,
    message: string,
    details?: unknown,
    options: { reported?: boolean; cause?: unknown } = {},
  ) {
    super(code, RAISABLE_CODES[code], message, { cause: options.cause });
    this.details = details ?? detailsOf(options.cause);
    this.reported = options.reported === true;
  }
}

/** Prints a command's result: one JSON document with `--json`, else the human text. */
export function emit(options: OutputOptions, data: unknown, human: () => string): void {
  if (options.json) {
    options.io.out(`${JSON.stringify(data, null, 2)}\n`);
    return;
  }
  if (options.quiet) return;
  const text = human();
  if (text !== '') options.io.out(text.endsWith('\n') ? text : `${text}\n`);
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  details?: unknown;
}

const NEXT_STEP: Partial<Record<string, string>> = {
  VELLUM_VALIDATION: 'fix the input and run the command again',
  VELLUM_NOT_FOUND: 'check the name or id; the list commands show what exists',
  VELLUM_CONFLICT: 'it changed or exists already: read it again (get, list) and retry',
  VELLUM_LOCK_TIMEOUT: 'another process holds the store; retry when it is done',
  VELLUM_LOCK_COMPROMISED:
    'another process took the lock over; check the store with `vellum health`, then retry',
  VELLUM_STORE_TOO_NEW: 'upgrade vellum to a version that knows this store version',
  VELLUM_COUNTER_EXHAUSTED: 'this counter can hand out no more ids: see docs/errors.md',
  VELLUM_CORRUPT_FILE: 'run `vellum health`, then `vellum backup restore` or fix the file',
  VELLUM_INDEX_DRIFT: 'run `vellum index rebuild`',
  VELLUM_JOURNAL_CORRUPT: 'run `vellum journal verify`, then restore a backup',
  VELLUM_TORN_TAIL: 'run `vellum journal repair`',
  VELLUM_STATE_UNREADABLE: 'restore a backup of the state files, or reset them explicitly',
};

/**
 * Reports an error on stderr (one line and what to do next), or as
 * `{"error": {code, message, details}}` on stdout with `--json`.
 * @returns the exit code.
 */
export function reportError(options: OutputOptions, error: unknown): number {
  const e = (
    typeof error === 'object' && error !== null ? error : { message: String(error) }
  ) as ErrorLike;
  const code =
    typeof e.code === 'string' && e.code.startsWith('VELLUM_') ? e.code : 'VELLUM_FAILED';
  const message = typeof e.message === 'string' ? e.message : String(error);
  const details = e.details ?? detailsOf(error);
  const reported = error instanceof CliError && error.reported;
  if (options.json) {
    // One JSON document on stdout: a report that found problems is that document.
    if (!reported) {
      options.io.out(
        `${JSON.stringify({ error: { code, message, details: details ?? null } }, null, 2)}\n`,
      );
    }
  } else {
    const next = NEXT_STEP[code];
    options.io.err(
      `${pc.red('error')} ${code}: ${message}${next === undefined ? '' : pc.dim(` (${next})`)}\n`,
    );
  }
  return exitCodeFor(error);
}
