import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';

export interface ExitInfo {
  /** Exit code; `null` when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  /** Added to the parent's environment (`undefined` removes a variable). */
  env?: Record<string, string | undefined> | undefined;
  cwd?: string | undefined;
  /** Keep stdin open for `send()`. Default true; false gives the child an empty stdin. */
  stdin?: boolean | undefined;
  /** Called for each stdout line as it arrives (to kill the child at a given point). */
  onLine?: ((line: string, child: Child) => void) | undefined;
}

interface LineWaiter {
  predicate: (line: string) => boolean;
  from: number;
  resolve: (line: string) => void;
  reject: (error: Error) => void;
}

const live = new Set<Child>();

/**
 * A child process with a line protocol on stdout and commands on stdin.
 * `stdout` keeps the exact bytes (as UTF-8 text), `lines` its lines (`\r\n`
 * counts as one break), `stderr` the rest for error messages.
 *
 * The environment always has `UV_USE_IO_URING=0`: fault-injection tests must
 * see every file call go through the thread pool.
 */
export class Child {
  readonly process: ChildProcess;
  readonly pid: number;
  readonly lines: string[] = [];
  /** Resolves when the child ended and its output is read to the end. */
  readonly exited: Promise<ExitInfo>;
  stdout = '';
  stderr = '';
  exit: ExitInfo | undefined;
  readonly label: string;
  #waiters: LineWaiter[] = [];
  #cursor = 0;
  #partial = '';
  readonly #onLine: ((line: string, child: Child) => void) | undefined;

  constructor(command: string, args: readonly string[], options: ChildOptions = {}) {
    this.label = `${command} ${args.join(' ')}`;
    this.#onLine = options.onLine;
    const env: NodeJS.ProcessEnv = { ...process.env, UV_USE_IO_URING: '0' };
    for (const [name, value] of Object.entries(options.env ?? {})) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    this.process = spawn(command, args, {
      stdio: [options.stdin === false ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    const pid = this.process.pid;
    if (pid === undefined) throw new Error(`cannot spawn ${this.label}`);
    this.pid = pid;
    live.add(this);
    // The parent may write to a child that was just killed.
    this.process.stdin?.on('error', () => undefined);
    this.process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.#read(chunk));
    this.exited = new Promise<ExitInfo>((resolve) => {
      // 'close' comes after stdout ended: every line is in `lines` by then.
      this.process.on('close', (code, signal) => {
        if (this.#partial !== '') this.#line(this.#partial);
        this.#partial = '';
        live.delete(this);
        this.exit = { code, signal };
        const error = new Error(
          `child ${this.pid} (${this.label}) ended (code ${String(code)}, signal ${String(signal)}) ` +
            `before printing the expected line\n${this.output()}`,
        );
        for (const waiter of this.#waiters) waiter.reject(error);
        this.#waiters = [];
        resolve({ code, signal });
      });
    });
  }

  #read(chunk: string): void {
    this.stdout += chunk;
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const part of parts) this.#line(part.endsWith('\r') ? part.slice(0, -1) : part);
  }

  #line(line: string): void {
    this.lines.push(line);
    const index = this.lines.length - 1;
    // A line answers one wait, the earliest: concurrent waits of a request/reply protocol (several
    // callers asking one child in turn) each get their own reply, in the order they asked.
    const waiter = this.#waiters.find((w) => index >= w.from && w.predicate(line));
    if (waiter !== undefined) {
      this.#waiters = this.#waiters.filter((w) => w !== waiter);
      this.#cursor = Math.max(this.#cursor, index + 1);
      waiter.resolve(line);
    }
    this.#onLine?.(line, this);
  }

  /** What the child printed, for error messages. */
  output(): string {
    return `stdout:\n${this.stdout}\nstderr:\n${this.stderr}`;
  }

  /**
   * Resolves with the first matching stdout line after the last line a wait
   * returned (a sequential protocol: each line is matched at most once);
   * rejects, with the child's output, if it ends first. Lines printed before
   * the call count.
   */
  waitForLine(predicate: (line: string) => boolean): Promise<string> {
    const from = this.#cursor;
    const offset = this.lines.slice(from).findIndex(predicate);
    if (offset !== -1) {
      this.#cursor = from + offset + 1;
      return Promise.resolve(this.lines[from + offset] as string);
    }
    if (this.exit !== undefined) {
      return Promise.reject(new Error(`child ${this.pid} already ended\n${this.output()}`));
    }
    return new Promise<string>((resolve, reject) => {
      this.#waiters.push({ predicate, from, resolve, reject });
    });
  }

  /** Waits for a line that is exactly `text`. */
  waitForText(text: string): Promise<string> {
    return this.waitForLine((line) => line === text);
  }

  /**
   * Waits for the next JSON event line `{"event": name, ...}` (one of `name`
   * if a list) and returns it parsed.
   */
  async waitForEvent<T extends object = Record<string, unknown>>(
    name: string | readonly string[],
  ): Promise<T & { event: string }> {
    const names: readonly string[] = typeof name === 'string' ? [name] : name;
    const line = await this.waitForLine((candidate) => names.includes(eventName(candidate) ?? ''));
    return JSON.parse(line) as T & { event: string };
  }

  /** The last JSON event line named `name`. */
  lastEvent<T extends object = Record<string, unknown>>(
    name: string,
  ): (T & { event: string }) | undefined {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const line = this.lines[i];
      if (line !== undefined && eventName(line) === name)
        return JSON.parse(line) as T & { event: string };
    }
    return undefined;
  }

  /** Writes one command line to the child's stdin. */
  send(line: string): void {
    if (this.process.stdin === null) throw new Error(`child ${this.pid} has no stdin`);
    this.process.stdin.write(`${line}\n`);
  }

  /** Sends `signal` unless the child already ended. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exit === undefined) this.process.kill(signal);
  }

  /** Waits for the end and fails with the child's output unless it exited with code 0. */
  async succeeded(): Promise<void> {
    const exit = await this.exited;
    if (exit.code !== 0) {
      throw new Error(
        `child ${this.pid} (${this.label}) failed (code ${String(exit.code)}, signal ${String(exit.signal)})\n` +
          this.output(),
      );
    }
  }
}

function eventName(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as unknown;
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'event' in parsed &&
      typeof parsed.event === 'string'
    ) {
      return parsed.event;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Starts any command (sh, unshare, script...). */
export function spawnChild(
  command: string,
  args: readonly string[],
  options: ChildOptions = {},
): Child {
  return new Child(command, args, options);
}

/** Starts `node <script> ...args` with this process's Node.js. */
export function spawnNode(
  script: string,
  args: readonly string[],
  options: ChildOptions = {},
): Child {
  return new Child(process.execPath, [script, ...args], options);
}

/** SIGKILLs every child started here that still runs, and waits for them to end. */
export async function killLeftoverChildren(): Promise<void> {
  const children = [...live];
  // A SIGSTOPped child dies on SIGKILL too.
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((child) => child.exited));
}

/**
 * Kills, after each test, the children it left running (a failed or timed-out
 * test). `useTempDirs` does this already before it removes its directories.
 */
export function useChildren(): void {
  afterEach(() => killLeftoverChildren());
}
