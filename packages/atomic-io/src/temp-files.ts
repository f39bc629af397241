import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { readdirOrEmpty, statOrNull, unlinkIfExists } from './missing-files.js';
import { processIsAlive } from './process-alive.js';

const MARKER = '.vellum-tmp-';
// .<target name>.vellum-tmp-<pid>-<random>
const TEMP_NAME = /^\.(.+)\.vellum-tmp-(\d+)-[0-9a-f]+$/;

/** A unique temp path in the same directory as `target` (rename must not cross devices). */
export function tempPathFor(target: string): string {
  return join(
    dirname(target),
    `.${basename(target)}${MARKER}${process.pid}-${randomBytes(6).toString('hex')}`,
  );
}

export function isTempName(name: string): boolean {
  return TEMP_NAME.test(name);
}

export interface CleanupOptions {
  /** Also look in subdirectories, this many levels deep. Default 0. */
  depth?: number | undefined;
  /**
   * Also remove a temp file whose pid is alive when it is older than this (the pid may have been
   * reused). Default: never. An open must not guess: a clock that disagrees with the file
   * system's times (a jump, a network mount) would make a live writer's temp file look old, and
   * removing it fails that write. A person's explicit clean-up (`vellum health --fix`) passes it.
   */
  maxAgeMs?: number | undefined;
}

/**
 * Removes temp files left by writers that were killed mid-write: those of a
 * dead process, and with `maxAgeMs`, those older than that (the pid may have
 * been reused). Call it when opening a store directory.
 * @returns the paths removed.
 */
export async function cleanupTempFiles(
  dir: string,
  options: CleanupOptions = {},
): Promise<string[]> {
  const { maxAgeMs } = options;
  const removed: string[] = [];
  for (const entry of await readdirOrEmpty(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && (options.depth ?? 0) > 0 && !entry.name.endsWith('.lock')) {
      removed.push(
        ...(await cleanupTempFiles(join(dir, entry.name), {
          ...options,
          depth: (options.depth ?? 0) - 1,
        })),
      );
      continue;
    }
    const match = TEMP_NAME.exec(entry.name);
    if (!entry.isFile() || match === null) continue;
    // Joined only for a temp file: a folder of thousands of documents has none.
    const full = join(dir, entry.name);
    const pid = Number(match[2]);
    let stale = !processIsAlive(pid);
    if (!stale && maxAgeMs !== undefined) {
      const info = await statOrNull(full);
      stale = info !== null && Date.now() - info.mtimeMs > maxAgeMs;
    }
    if (stale && (await unlinkIfExists(full))) removed.push(full);
  }
  return removed;
}
