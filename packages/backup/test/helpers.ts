import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { useTempDirs } from '@vellum/test-utils';

/** A fresh temp directory, removed after the test; `onCleanup` runs before it goes. */
export const { freshDir, onCleanup } = useTempDirs('vellum-backup-');

/**
 * Every file under `dir` with the SHA-256 of its bytes, by relative path;
 * locks left out: kernel lock files (`*.lock`) stay behind once released,
 * lock directories come and go with a writer's lease, and neither is data.
 */
export async function contents(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (current: string, prefix: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.includes('.lock')) continue;
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await walk(join(current, entry.name), path);
      else
        out[path] = createHash('sha256')
          .update(await readFile(join(current, entry.name)))
          .digest('hex');
    }
  };
  await walk(dir, '');
  return out;
}
