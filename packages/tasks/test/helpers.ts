import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { TaskStore, type TaskStoreOptions } from '../src/index.js';

const created: string[] = [];
const stores: TaskStore[] = [];

export async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vellum-tasks-'));
  created.push(dir);
  return dir;
}

/** A copy of the spec-layout fixture, as a team's existing `.ap-state` would be. */
export async function fixtureCopy(): Promise<string> {
  const root = join(await freshDir(), '.ap-state');
  await cp(join(import.meta.dirname, 'fixtures', 'ap-state'), root, { recursive: true });
  return root;
}

export async function open(
  root: string,
  options: Omit<TaskStoreOptions, 'root'> = {},
): Promise<TaskStore> {
  const store = await TaskStore.open({ root, flushDelayMs: 5, ...options });
  stores.push(store);
  return store;
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Every file under `dir` with its content, lock files left out (they come and go with a writer's lease). */
export async function contents(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (current: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (entry.name.includes('.lock')) continue;
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await walk(join(current, entry.name), path);
      else out.set(path, await readFile(join(current, entry.name), 'utf8'));
    }
  };
  await walk(dir, '');
  return out;
}
