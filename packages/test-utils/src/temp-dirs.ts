import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { killLeftoverChildren } from './child.js';

/** Set to keep every test directory for a look after the run. */
const KEEP_ENV = 'VELLUM_KEEP_TEST_DIRS';

/**
 * Removes `dir` and everything under it. A test may have made a folder
 * read-only (to provoke EACCES): on a refusal every folder is made writable
 * again and the removal retried.
 */
export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOTEMPTY') throw error;
    await makeWritable(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o700).catch(() => undefined);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory()) await makeWritable(join(dir, entry.name));
  }
}

/**
 * Temp directories under `os.tmpdir()` and the clean-ups that must run before
 * they go (closing a store that still writes into one). Not tied to a test
 * runner: `useTempDirs` wires one to vitest's `afterEach`.
 */
export class TempDirs {
  readonly #prefix: string;
  readonly #dirs: string[] = [];
  readonly #cleanups: (() => unknown)[] = [];

  constructor(prefix = 'vellum-test-') {
    this.#prefix = prefix;
  }

  /** A fresh, empty directory, removed by `cleanup()`. */
  async make(prefix = this.#prefix): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  /** Runs `close` in `cleanup()`, before the directories are removed (last registered first). */
  onCleanup(close: () => unknown): void {
    this.#cleanups.push(close);
  }

  /**
   * Kills the children still running (a child left by a failed test would
   * write into a directory being removed), runs the clean-ups, then removes
   * every directory made so far (kept when `VELLUM_KEEP_TEST_DIRS` is set). A
   * failing clean-up is rethrown once the directories are gone, so one
   * failure does not leave the rest behind.
   */
  async cleanup(): Promise<void> {
    await killLeftoverChildren();
    let failure: { error: unknown } | undefined;
    for (const close of this.#cleanups.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        failure ??= { error };
      }
    }
    const dirs = this.#dirs.splice(0);
    if (process.env[KEEP_ENV] === undefined) await Promise.all(dirs.map((dir) => removeTree(dir)));
    if (failure !== undefined) throw failure.error;
  }
}

export interface TestDirs {
  /** A fresh, empty directory for this test, removed after it. */
  freshDir: (prefix?: string) => Promise<string>;
  /** Runs `close` after the test, before its directories are removed. */
  onCleanup: (close: () => unknown) => void;
}

/**
 * A fresh temp directory per test, removed after it (vitest's `afterEach`).
 * Call it once at the top of a test file or of a helpers module:
 * `export const { freshDir, onCleanup } = useTempDirs('vellum-journal-');`
 */
export function useTempDirs(prefix = 'vellum-test-'): TestDirs {
  const dirs = new TempDirs(prefix);
  afterEach(() => dirs.cleanup());
  return {
    freshDir: (name) => dirs.make(name),
    onCleanup: (close) => dirs.onCleanup(close),
  };
}

/** Runs `fn` in a fresh directory and removes it after, pass or fail (one run of a property). */
export async function withTempDir<T>(
  fn: (dir: string) => Promise<T>,
  prefix = 'vellum-test-',
): Promise<T> {
  const dirs = new TempDirs(prefix);
  try {
    return await fn(await dirs.make());
  } finally {
    await dirs.cleanup();
  }
}
