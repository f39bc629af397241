import { VellumError } from '@vellum/atomic-io';

/**
 * A journal segment holds a bad record followed by good ones, or a torn tail
 * anywhere but at the end of the newest segment. The journal refuses to guess:
 * nothing is applied past the damage and nothing is cut.
 */
export class JournalCorruptError extends VellumError {
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
export class JournalClosedError extends VellumError {
  constructor(dir: string) {
    super('VELLUM_JOURNAL_CLOSED', `journal in ${dir} is closed`, { path: dir });
  }
}
