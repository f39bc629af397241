import { stat } from 'node:fs/promises';
import { VellumError } from '@vellum/atomic-io/errors';
import type { TaskStore } from '@vellum/tasks';
import type { Context } from '../context.js';
import { CliError } from '../output.js';

/**
 * `read`: the command needs a store that exists; opening one would create it,
 * and a mistyped `--root` would then look like an empty store. `check`: read,
 * and leave drifted index files as they are (a check must not heal what it
 * reports). `create`: the command adds something, and may start a new store.
 */
export type Access = 'read' | 'check' | 'create';

/** @throws {CliError} `VELLUM_NO_STORE` (exit 3) when `dir` is not a directory. */
export async function requireDir(dir: string, wayOut: string): Promise<void> {
  const isDir = await stat(dir).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (!isDir) throw new CliError('VELLUM_NO_STORE', `no store at ${dir}: ${wayOut}`, { path: dir });
}

/** @throws {CliError} `VELLUM_NO_STORE` when there is no `.ap-state` store to read. */
export function requireTaskStore(context: Context): Promise<void> {
  return requireDir(context.tasksDir, TASKS_WAY_OUT);
}

const TASKS_WAY_OUT = 'run `vellum tasks add` to start one, or pass --root';

/** The library's "no store" refusal, reworded with the command that starts one. */
function noStore(error: unknown, dir: string, wayOut: string): unknown {
  return error instanceof VellumError && error.code === 'VELLUM_NO_STORE'
    ? new CliError('VELLUM_NO_STORE', `no store at ${dir}: ${wayOut}`, { path: dir })
    : error;
}

/**
 * Opens the `.ap-state` store, runs `work`, and always closes it (materializing
 * what changed). The operations' metrics are written only when `work`
 * succeeds: a failed command leaves the store byte-identical.
 */
export async function withTaskStore<T>(
  context: Context,
  work: (store: TaskStore) => Promise<T>,
  access: Access = 'read',
): Promise<T> {
  const { TaskStore } = await import('@vellum/tasks');
  const store = await TaskStore.open({
    root: context.tasksDir,
    lockTimeout: context.lockTimeout,
    metrics: 'on-close',
    repairIndexFiles: access !== 'check',
    createIfMissing: access === 'create',
  }).catch((error: unknown) => {
    throw noStore(error, context.tasksDir, TASKS_WAY_OUT);
  });
  let result: T;
  try {
    result = await work(store);
  } catch (error) {
    await store.close({ discardMetrics: true });
    throw error;
  }
  await store.close();
  return result;
}
