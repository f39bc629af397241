import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
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

/**
 * Fails with a clear message when `<packageDir>/dist/index.js` is missing, or
 * older than a file in `src/`: child scripts import the built package.
 */
export function assertBuilt(packageDir: string, buildCommand: string): void {
  const entry = join(packageDir, 'dist', 'index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (${buildCommand})`);
  const built = statSync(entry).mtimeMs;
  const src = join(packageDir, 'src');
  const newer = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter(
    (name) => statSync(join(src, name)).mtimeMs > built,
  );
  if (newer.length > 0) {
    throw new Error(`dist/ is older than src/ (${newer.join(', ')}): rebuild (${buildCommand})`);
  }
}
