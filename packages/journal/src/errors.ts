import { VellumError, type VellumErrorOptions } from '@vellum/atomic-io';
import { JOURNAL_ERROR_CODES, type JournalErrorCode } from './codes.js';

/** The errors of `@vellum/journal`: the category comes from `JOURNAL_ERROR_CODES`. */
export class JournalError extends VellumError {
  constructor(code: JournalErrorCode, message: string, options: VellumErrorOptions = {}) {
    super(code, JOURNAL_ERROR_CODES[code], message, options);
  }
}

/**
 * A journal segment holds a bad record followed by good ones, or a torn tail
 * anywhere but at the end of the newest segment. The journal refuses to guess:
 * nothing is applied past the damage and nothing is cut.
 */
export class JournalCorruptError extends JournalError {
  readonly segment: string;
  readonly line: number | undefined;
  constructor(
    message: string,
    options: { segment: string; line?: number | undefined; cause?: unknown },
  ) {
    super('VELLUM_JOURNAL_CORRUPT', message, { path: options.segment, cause: options.cause });
    this.segment = options.segment;
    this.line = options.line;
  }
}

/** The journal was used after `close()`. */
export class JournalClosedError extends JournalError {
  constructor(dir: string) {
    super('VELLUM_JOURNAL_CLOSED', `journal ${dir}: closed`, { path: dir });
  }
}
