/**
 * Where a run of the CLI writes: the process's streams for the `vellum`
 * binary, buffers for a run inside a test. Commands never touch
 * `process.stdout` or `process.stderr` themselves, so that many runs can share
 * one process.
 */
export interface Io {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** Standard error is a terminal: progress bars are drawn there. */
  readonly errIsTTY: boolean;
  /** The terminal's width, for progress bars. */
  readonly errColumns: number;
  /** What a command reports itself from now on is not printed again as a process warning. */
  muteWarnings(): void;
}

/** The process's own streams. `onMuteWarnings` is called by `muteWarnings`. */
export function processIo(onMuteWarnings: () => void): Io {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    errIsTTY: process.stderr.isTTY === true,
    get errColumns() {
      return process.stderr.columns || 80;
    },
    muteWarnings: onMuteWarnings,
  };
}
