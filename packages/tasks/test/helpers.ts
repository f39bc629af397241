import { cp, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { useTempDirs } from '@vellum/test-utils';
import { TaskStore, type TaskStoreOptions } from '../src/index.js';

const dirs = useTempDirs('vellum-tasks-');

/** A fresh temp directory, removed after the test (the stores opened in it closed first). */
export const freshDir = dirs.freshDir;

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
  // A test may have closed it already, or broken it on purpose.
  dirs.onCleanup(() => store.close().catch(() => undefined));
  return store;
}

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
