import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

let exited: number | undefined;

/**
 * The pid of a process that has exited (started once per test file: starting
 * a process is slow). The system may reuse it, but not within a test's time.
 */
export function deadPid(): number {
  if (exited !== undefined) return exited;
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  const pid = Number(child.stdout.toString());
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    throw new Error(`could not start a child process: ${child.stderr.toString()}`);
  }
  exited = pid;
  return pid;
}

/** Fails with a clear message when `<packageDir>/dist/index.js` is missing: child scripts import the built package. */
export function assertBuilt(packageDir: string, buildCommand: string): void {
  // Existence only: turbo restores a cached dist/ with the times it had when cached, so a dist/
  // that matches src/ can look older than it; `npm test` always builds before testing.
  const entry = join(packageDir, 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (${buildCommand})`);
}
