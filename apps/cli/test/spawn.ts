// The end-to-end runner: the BUILT binary (dist/bin.js) as a child process, exactly
// as a user or a script runs it. Only for what a run in this process cannot show:
// the bin itself, the environment (colors), terminals, pipes, several processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeRemovingRoots, type RunResult, type Vellum } from './helpers.js';

/** apps/cli/ */
export const CLI_DIR = fileURLToPath(new URL('..', import.meta.url));
/** The built binary; the package's `test` task depends on its `build`. */
export const BIN = join(CLI_DIR, 'dist', 'bin.js');

if (!existsSync(BIN)) {
  throw new Error(
    `${BIN} is missing: build first (npx -y pnpm@10.34.9 turbo run build --filter=@vellum/cli...)`,
  );
}

export interface SpawnOptions {
  /** Added to (or, with `undefined`, removed from) the clean environment. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the child after this long (default 45 s). */
  timeoutMs?: number;
}

/** Variables that change the CLI's look; every run starts without them. */
const STRIPPED = ['FORCE_COLOR', 'NO_COLOR', 'CI', 'INIT_CWD', 'NODE_OPTIONS'];

/** The environment the children get: the test's own, minus color switches, plus `extra`. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of STRIPPED) delete env[name];
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Children still running: killed before the temp roots go (a timed-out test leaves some). */
const running = new Set<ChildProcess>();

beforeRemovingRoots(async () => {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise((resolve) => {
          child.once('close', resolve);
          child.kill('SIGKILL');
        }),
    ),
  );
});

/** Spawns `file args` and collects everything it prints (async: concurrent tests overlap). */
export function spawnCollect(
  file: string,
  args: readonly string[],
  shown: readonly string[],
  options: SpawnOptions = {},
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd ?? tmpdir(),
      env: cleanEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
    child.on('error', (error) => {
      running.delete(child);
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      resolve({ args: shown, code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Runs `node dist/bin.js ...args` (no implicit --root). */
export function spawnVellum(
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<RunResult> {
  return spawnCollect(process.execPath, [BIN, ...args], args, options);
}

/** `vellum --root <root> ...args` as a child process, bound to one project root. */
export function spawnVellumIn(root: string, options: SpawnOptions = {}): Vellum {
  return (...args) => spawnVellum(['--root', root, ...args], options);
}

const shellQuote = (arg: string): string => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `vellum ...args` with a pseudo-terminal as stdout and stderr (util-linux
 * `script`), as when a person types the command. Returns the terminal transcript
 * in `stdout` (stdout and stderr together; `\r\n` line ends).
 */
export function runInTerminal(
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<RunResult> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(' ');
  return spawnCollect('script', ['-qefc', command, '/dev/null'], args, {
    ...options,
    env: { TERM: 'xterm-256color', COLUMNS: '100', LINES: '40', ...options.env },
  });
}
