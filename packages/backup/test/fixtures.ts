import { Collection, perDocumentLayout, type CollectionOptions } from '@vellum/collection';
import { z } from 'zod';
import { onCleanup } from './helpers.js';

export const Task = z.object({
  id: z.string().regex(/^TASK-\d{3}$/),
  title: z.string().min(1),
  status: z.enum(['pending', 'active', 'done']),
  n: z.number(),
});
export type Task = z.infer<typeof Task>;

export const STATUSES = ['pending', 'active', 'done'] as const;

export function task(n: number, status: Task['status'] = 'pending', version = 0): Task {
  return { id: `TASK-${String(n).padStart(3, '0')}`, title: `Task ${n} v${version}`, status, n };
}

/**
 * A tasks collection as spec 000 lays it out: one file per task under
 * `tasks/active` or `tasks/done`, an index file, the whole journal kept.
 */
export async function openTasks(
  root: string,
  options: Partial<CollectionOptions<Task>> = {},
  autoClose = true,
): Promise<Collection<Task>> {
  const tasks = await Collection.open<Task>({
    root,
    name: 'tasks',
    schema: Task,
    layout: perDocumentLayout<Task>({
      dir: 'tasks',
      pathOf: (doc, id) => (doc.status === 'done' ? `done/${id}.json` : `active/${id}.json`),
    }),
    indexes: { status: { key: (t) => t.status, file: 'indexes/by-status.json' } },
    journalRetention: 'keep',
    flushDelayMs: 5,
    ...options,
  });
  if (autoClose) onCleanup(() => tasks.close().catch(() => undefined));
  return tasks;
}

/** Every document, sorted by id. */
export async function allDocs(tasks: Collection<Task>): Promise<Task[]> {
  return (await tasks.query({ limit: 100_000 })).items;
}

/**
 * Records the state after every committed change, by sequence number, so a
 * test can ask what the collection held at any sequence.
 */
export class History {
  readonly #states: { seq: number; docs: Map<string, Task> }[] = [{ seq: 0, docs: new Map() }];

  constructor(tasks: Collection<Task>) {
    tasks.onChange((event) => {
      const last = this.#states.at(-1)?.docs ?? new Map<string, Task>();
      const docs = new Map(last);
      if (event.type === 'delete') docs.delete(event.id);
      else if (event.doc !== undefined) docs.set(event.id, event.doc);
      this.#states.push({ seq: event.seq, docs });
    });
  }

  get lastSeq(): number {
    return this.#states.at(-1)?.seq ?? 0;
  }

  /** Sequence number of the last change at or below `seq` (0: none). */
  seqAt(seq: number): number {
    let found = 0;
    for (const state of this.#states) if (state.seq <= seq) found = state.seq;
    return found;
  }

  /** The documents after the last change at or below `seq`, sorted by id. */
  at(seq: number): Task[] {
    let found = this.#states[0];
    for (const state of this.#states) if (state.seq <= seq) found = state;
    return [...(found?.docs.values() ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1));
  }
}
