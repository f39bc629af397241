// How the parent and the increment workers talk: the command line, the start
// barrier and the counter they fight over.
import { once } from 'node:events';

export interface Counter {
  count: number;
}

export interface WorkerTask {
  /** The counter's file, or the root of the store that holds it. */
  readonly file: string;
  readonly increments: number;
}

export function taskArgv(task: WorkerTask): string[] {
  return [task.file, String(task.increments)];
}

export function taskFromArgv(argv: readonly string[] = process.argv.slice(2)): WorkerTask {
  const [file, increments] = argv;
  const parsed = Number(increments);
  if (file === undefined || !Number.isInteger(parsed) || parsed < 0) {
    throw new Error(`usage: <worker> <counter file or root> <increments>; got ${argv.join(' ')}`);
  }
  return { file, increments: parsed };
}

/** Tells the parent this worker is loaded, and waits until every worker is. */
export async function startTogether(): Promise<void> {
  // Run by hand (to profile it, say), a worker has no parent to wait for.
  if (process.send === undefined) return;
  process.send('ready');
  await once(process, 'message');
  // An open IPC channel would keep the worker alive after its work.
  process.disconnect();
}
