import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { useTempDirs } from '@vellum/test-utils';

/** A fresh temp directory, removed after the test. */
export const { freshDir } = useTempDirs('vellum-migrate-');

/**
 * Every file and folder under `dir` with its bytes (folders as `<dir>`), by
 * relative path: two equal snapshots mean a byte-identical tree. With
 * `mtimes`, each entry also carries its modification time, so a file rewritten
 * with the same bytes shows too.
 */
export async function snapshotTree(
  dir: string,
  options: { mtimes?: boolean } = {},
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (current: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      const full = join(current, entry.name);
      const time = options.mtimes === true ? ` @${(await stat(full)).mtimeMs}` : '';
      if (entry.isDirectory()) {
        out.set(path, `<dir>${time}`);
        await walk(full, path);
      } else {
        out.set(path, `${(await readFile(full)).toString('base64')}${time}`);
      }
    }
  };
  await walk(dir, '');
  return out;
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Deterministic pseudo-random numbers (mulberry32), so failures replay. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
