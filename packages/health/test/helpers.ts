import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Collection, perDocumentLayout } from '@vellum/collection';
import { useTempDirs } from '@vellum/test-utils';
import { z } from 'zod';
import type { OperationMetric } from '@vellum/collection';

/**
 * A fresh temp directory, removed after the test (read-only folders a test
 * made included); `onCleanup` runs before it goes.
 */
export const { freshDir, onCleanup } = useTempDirs('vellum-health-');

export const Task = z.object({
  id: z.string(),
  content: z.string(),
  status: z.enum(['pending', 'in_progress', 'completed']),
});
export type Task = z.infer<typeof Task>;

/** Spec 000's tasks: one file per task, a persisted `by-status` index. */
export async function openTasks(
  root: string,
  options: { onOperation?: (metric: OperationMetric) => void; keepJournal?: boolean } = {},
): Promise<Collection<Task>> {
  const tasks = await Collection.open<Task>({
    root,
    name: 'tasks',
    schema: Task,
    layout: perDocumentLayout({ dir: 'tasks', pathOf: (_task, id) => `active/${id}.json` }),
    indexes: { status: { key: (task) => task.status, file: 'tasks/index/by-status.json' } },
    ...(options.onOperation === undefined ? {} : { onOperation: options.onOperation }),
    ...(options.keepJournal === true ? { journalRetention: 'keep' as const } : {}),
  });
  // close() is idempotent: a test may have closed it already.
  onCleanup(() => tasks.close().catch(() => undefined));
  return tasks;
}

/** A store with three tasks, closed: everything materialized, journal kept. */
export async function cleanStore(): Promise<{ root: string; tasks: Collection<Task> }> {
  const root = await freshDir();
  const tasks = await openTasks(root, { keepJournal: true });
  for (let i = 1; i <= 3; i++) {
    await tasks.put({ id: `TASK-001-00${i}`, content: `task number ${i}`, status: 'pending' });
  }
  await tasks.flush();
  return { root, tasks };
}

/**
 * Every path under `dir`, relative, sorted; locks left out: kernel lock files
 * (`*.lock`) stay behind once released, lock directories come and go with a
 * writer's lease, and neither is data.
 */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (current: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (entry.name.includes('.lock')) continue;
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      out.push(path);
      if (entry.isDirectory()) await walk(join(current, entry.name), path);
    }
  };
  await walk(dir, '');
  return out.sort();
}

export const NOBODY = 65534;

/**
 * Runs `fn` without root's privileges. Root ignores a directory's mode
 * (CAP_DAC_OVERRIDE), so `chmod 0o555` only makes a folder read-only for
 * an ordinary user: as root, take the effective uid and gid of `nobody`
 * for the duration (the real ids stay 0, so they can be taken back). The
 * kernel then refuses the write for real. Vitest runs each test file in its
 * own process, so no other file's tests run as `nobody` meanwhile.
 */
export async function asUnprivileged<T>(fn: () => Promise<T>): Promise<T> {
  if (process.getuid?.() !== 0) return fn();
  const { setegid, seteuid } = process;
  if (setegid === undefined || seteuid === undefined) throw new Error('no seteuid here');
  setegid(NOBODY);
  seteuid(NOBODY);
  try {
    return await fn();
  } finally {
    seteuid(0);
    setegid(0);
  }
}
