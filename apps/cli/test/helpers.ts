// Helpers for the CLI's tests. Most run the command tree in this process
// (`runCli` from src/main.ts, its output captured, its exit code returned):
// a spawned `node dist/bin.js` costs 0.2-0.5 s of CPU before the command even
// starts. spawn.ts runs the built binary for the few end-to-end tests.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import type { Io } from '../src/io.js';
import { runCli } from '../src/main.js';

/**
 * Per-test timeout of the suites (vitest.config.ts says 60 s): a test is a chain of
 * CLI runs, and the spawned ones take ~0.5 s of CPU each on a shared 2-core machine.
 */
export const SUITE_TIMEOUT_MS = 240_000;

/** The version the in-process runs report (the binary reads package.json). */
export const TEST_VERSION = '0.0.0-test';

export interface RunResult {
  /** The arguments after `vellum`, for messages. */
  args: readonly string[];
  /** Exit code (null when killed by a signal). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs `vellum ...args` in this process: stdout and stderr captured, never a
 * terminal (no progress bars), colors as picocolors decided for this process
 * (vitest.config.ts sets NO_COLOR).
 */
export async function run(args: readonly string[]): Promise<RunResult> {
  const started = Date.now();
  const captured = capturedIo();
  const code = await runCli(args, captured.io, TEST_VERSION);
  return {
    args,
    code,
    signal: null,
    stdout: captured.out.join(''),
    stderr: captured.err.join(''),
    ms: Date.now() - started,
  };
}

/** An `Io` that keeps what a run writes, never a terminal. */
export function capturedIo(): { io: Io; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      errIsTTY: false,
      errColumns: 80,
      muteWarnings: () => undefined,
    },
    out,
    err,
  };
}

export type Vellum = (...args: string[]) => Promise<RunResult>;

/** `vellum --root <root> ...args` in this process, bound to one project root. */
export function vellumIn(root: string): Vellum {
  return (...args) => run(['--root', root, ...args]);
}

/** A readable account of a run, for assertion messages. */
export function describeRun(result: RunResult): string {
  return [
    `vellum ${result.args.join(' ')} -> exit ${String(result.code)}${result.signal === null ? '' : ` (${result.signal})`} in ${result.ms} ms`,
    `--- stdout ---\n${result.stdout}`,
    `--- stderr ---\n${result.stderr}`,
  ].join('\n');
}

/** Asserts the exit code and returns the result. */
export function expectExit(result: RunResult, code: number): RunResult {
  expect(result.code, describeRun(result)).toBe(code);
  return result;
}

/** Asserts a human-mode success: exit 0, nothing on stderr. */
export function expectOk(result: RunResult): RunResult {
  expectExit(result, 0);
  expect(result.stderr, describeRun(result)).toBe('');
  return result;
}

/**
 * Parses stdout as exactly one JSON document (`JSON.parse` refuses anything
 * after it) and checks that it is all there is on stdout.
 */
export function parseJson<T = unknown>(result: RunResult): T {
  expect(result.stdout, describeRun(result)).toMatch(/^[[{][\s\S]*[\]}]\n$/);
  try {
    return JSON.parse(result.stdout) as T;
  } catch (error) {
    throw new Error(
      `stdout is not one JSON document (${(error as Error).message})\n${describeRun(result)}`,
    );
  }
}

/** A `--json` success: exit 0, one JSON document on stdout, nothing on stderr. */
export function okJson<T = unknown>(result: RunResult): T {
  expectExit(result, 0);
  expect(result.stderr, describeRun(result)).toBe('');
  return parseJson<T>(result);
}

export interface JsonError {
  error: { code: string; message: string; details: unknown };
}

/**
 * A `--json` failure: the exit code, `{"error": {code, message, details}}` and
 * nothing else on stdout, nothing on stderr.
 */
export function expectJsonError(result: RunResult, exit: number, code: string): JsonError {
  expectExit(result, exit);
  const body = parseJson<JsonError>(result);
  expect(Object.keys(body), describeRun(result)).toEqual(['error']);
  expect(Object.keys(body.error).sort(), describeRun(result)).toEqual([
    'code',
    'details',
    'message',
  ]);
  expect(body.error.code, describeRun(result)).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(result.stderr, describeRun(result)).toBe('');
  return body;
}

/**
 * A human-mode failure: the exit code, nothing on stdout, and one
 * `error CODE: message` report on stderr.
 */
export function expectHumanError(result: RunResult, exit: number, code: string): RunResult {
  expectExit(result, exit);
  expect(result.stdout, describeRun(result)).toBe('');
  expect(result.stderr, describeRun(result)).toMatch(new RegExp(`^error ${code}: \\S`));
  return result;
}

// ---------------------------------------------------------------------------
// Temporary roots

const roots: string[] = [];

/** A fresh, empty project root, removed by `removeTempRoots` (call it in `afterAll`). */
export async function tempRoot(label = 'root'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `vellum-cli-${label}-`));
  roots.push(dir);
  return dir;
}

/** Run by `removeTempRoots` first (spawn.ts kills the children a timed-out test left). */
const beforeRemoving: (() => Promise<void>)[] = [];

export function beforeRemovingRoots(cleanup: () => Promise<void>): void {
  beforeRemoving.push(cleanup);
}

export async function removeTempRoots(): Promise<void> {
  for (const cleanup of beforeRemoving) await cleanup();
  if (process.env.VELLUM_KEEP_TEST_ROOTS !== undefined) return;
  await Promise.all(roots.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Writes a JSONL file of `lines` (strings are written as they are) and returns its path. */
export async function writeLines(path: string, lines: readonly unknown[]): Promise<string> {
  await writeFile(
    path,
    lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n',
  );
  return path;
}

// ---------------------------------------------------------------------------
// File snapshots

/** Lock files and directories (`*.lock`, `*.lock.owner`...) come and go: never compared. */
const isLock = (rel: string): boolean => rel.split('/').some((part) => part.includes('.lock'));

/**
 * Relative path -> content (latin1: byte for byte), `<dir>` for directories.
 * The operations log (`.ap-state/metrics/YYYY-MM-DD.jsonl`) is a file like the
 * others: a failed command appends nothing to it.
 */
export type Snapshot = Record<string, string>;

/** Every file and directory under `dir` with its exact bytes, lock files excluded. */
export async function snapshot(dir: string): Promise<Snapshot> {
  const files: Snapshot = {};
  const walk = async (at: string): Promise<void> => {
    const entries = await readdir(at, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = join(at, entry.name);
      const rel = relative(dir, full).split('\\').join('/');
      if (isLock(rel)) continue;
      if (entry.isDirectory()) {
        files[`${rel}/`] = '<dir>';
        await walk(full);
      } else {
        files[rel] = (await readFile(full)).toString('latin1');
      }
    }
  };
  await walk(dir);
  return files;
}

/** Every file and directory is byte-identical (lock files aside), the operations log included. */
export function expectSameStore(before: Snapshot, after: Snapshot, what: string): void {
  expect(after, `${what}: the files changed`).toEqual(before);
}

// ---------------------------------------------------------------------------
// Misc

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// eslint-disable-next-line no-control-regex
export const ANSI = /\x1b\[[0-9;]*[A-Za-z]/;

/** The month folder spec 000 files completed documents under (UTC, as the store does). */
export function monthOf(iso: string): string {
  return iso.slice(0, 7);
}

/** The seed store: TASK-001-001 (high, STORY-001, architect) <- TASK-001-002 (STORY-001, dev). */
export const SEED_TASKS = [
  {
    id: 'TASK-001-001',
    content: 'Design the login form',
    status: 'pending',
    priority: 'high',
    metadata: {
      created_at: '2026-01-05T10:00:00.000Z',
      updated_at: '2026-01-05T10:00:00.000Z',
      story_id: 'STORY-001',
      persona: 'architect',
    },
  },
  {
    id: 'TASK-001-002',
    content: 'Build the login form',
    status: 'pending',
    priority: 'medium',
    metadata: {
      created_at: '2026-01-05T10:00:00.000Z',
      updated_at: '2026-01-05T10:00:00.000Z',
      story_id: 'STORY-001',
      persona: 'dev',
    },
    relationships: { depends_on: ['TASK-001-001'] },
  },
] as const;

/** `TASK-001-001` ... `TASK-001-<count>`, pending, for commands that need tasks to exist. */
export function storyTasks(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `TASK-001-${String(i + 1).padStart(3, '0')}`,
    content: `Task ${i + 1}`,
    status: 'pending',
    priority: 'medium',
    metadata: { created_at: '2026-01-05T10:00:00.000Z', updated_at: '2026-01-05T10:00:00.000Z' },
  }));
}

/** A fresh root holding `tasks` (default the seed tasks), written by one `vellum tasks batch`. */
export async function seeded(
  label: string,
  tasks: readonly unknown[] = SEED_TASKS,
): Promise<{ root: string; v: Vellum }> {
  const root = await tempRoot(label);
  const v = vellumIn(root);
  const file = await writeLines(join(root, 'seed.jsonl'), tasks);
  expectExit(await v('tasks', 'batch', file, '--quiet'), 0);
  return { root, v };
}

/**
 * Opens every collection of the store once (`index verify` does). A collection
 * creates its state (`wal/<name>/`, `.vellum/<name>/`) when first used, even by
 * a command that then fails: tests that claim a failed command changes nothing
 * start from a store where that has happened.
 */
export async function useEveryCollection(v: Vellum): Promise<void> {
  expectExit(await v('index', 'verify', '--quiet'), 0);
}
