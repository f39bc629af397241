import type { TaskStore } from '@vellum/tasks';
import type { Context } from '../context.js';

/** Opens the `.ap-state` store, runs `work`, and always closes it (materializing what changed). */
export async function withTaskStore<T>(
  context: Context,
  work: (store: TaskStore) => Promise<T>,
): Promise<T> {
  const { TaskStore } = await import('@vellum/tasks');
  const store = await TaskStore.open({ root: context.tasksDir, lockTimeout: context.lockTimeout });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
