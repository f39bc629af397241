import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { useTempDirs } from '@vellum/test-utils';

export const { freshDir, onCleanup } = useTempDirs('vellum-collection-');

/** Every file under `dir`, relative, sorted; lock files, which come and go with a writer's lease, left out. */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (current: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (entry.name.includes('.lock')) continue;
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await walk(join(current, entry.name), path);
      else out.push(path);
    }
  };
  await walk(dir, '');
  return out.sort();
}
