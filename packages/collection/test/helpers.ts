import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

export async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vellum-collection-'));
  created.push(dir);
  return dir;
}

/** Runs `close` after the test, before its directory is removed. */
export function onCleanup(close: () => Promise<void>): void {
  cleanups.push(close);
}

afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

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
