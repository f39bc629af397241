import { Child, type ChildOptions } from './child.js';

export interface RunResult {
  /** Exit code; `null` when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  lines: string[];
  /** Wall time from start to end. */
  ms: number;
}

export interface RunOptions extends Omit<ChildOptions, 'stdin'> {
  /** SIGKILL the child after this long. Default 60 s. */
  timeoutMs?: number | undefined;
}

/** Runs `command args` to its end with an empty stdin and collects everything it printed. */
export async function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const started = Date.now();
  const child = new Child(command, args, { ...options, stdin: false });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  try {
    const { code, signal } = await child.exited;
    return {
      code,
      signal,
      stdout: child.stdout,
      stderr: child.stderr,
      lines: child.lines,
      ms: Date.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `node <script> ...args` to its end (see `runProcess`). */
export function runNode(
  script: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return runProcess(process.execPath, [script, ...args], options);
}
