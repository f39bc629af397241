import { z } from 'zod';
import {
  Collection,
  arrayFileLayout,
  perDocumentLayout,
  type CollectionOptions,
  type Layout,
} from '../src/index.js';
import { onCleanup } from './helpers.js';

export const Task = z.object({
  id: z.string().regex(/^TASK-[0-9]+-[0-9]+$/),
  content: z.string().min(1),
  status: z.enum(['pending', 'in_progress', 'completed', 'blocked']),
  priority: z.enum(['low', 'medium', 'high']),
  metadata: z.object({
    created_at: z.string(),
    story_id: z.string(),
    persona: z.string(),
    tags: z.array(z.string()).optional(),
  }),
});
export type Task = z.infer<typeof Task>;

export function task(n: number, overrides: Partial<Task> = {}): Task {
  return {
    id: `TASK-${String(1 + (n % 5)).padStart(3, '0')}-${String(n).padStart(3, '0')}`,
    content: `Task number ${n} about ${n % 2 === 0 ? 'authentication' : 'billing'}`,
    status: 'pending',
    priority: (['low', 'medium', 'high'] as const)[n % 3] ?? 'low',
    metadata: {
      created_at: `2026-11-${String(1 + (n % 28)).padStart(2, '0')}`,
      story_id: `STORY-${n % 5}`,
      persona: `p${n % 3}`,
    },
    ...overrides,
  };
}

export const taskLayout = (): Layout<Task> =>
  perDocumentLayout<Task>({
    dir: 'tasks',
    pathOf: (doc, id) =>
      doc.status === 'completed' ? `completed/2026-11/${id}.json` : `active/${id}.json`,
  });

export const ticketLayout = (): Layout<Task> => arrayFileLayout<Task>({ file: '.pm/tickets.json' });

export async function openTasks(
  root: string,
  options: Partial<CollectionOptions<Task>> = {},
  autoClose = true,
): Promise<Collection<Task>> {
  const collection = await Collection.open<Task>({
    root,
    name: 'tasks',
    schema: Task,
    layout: taskLayout(),
    indexes: {
      status: { key: (t) => t.status, file: 'tasks/index/by-status.json' },
      story: { key: (t) => t.metadata.story_id, file: 'tasks/index/by-story.json' },
      priority: { key: (t) => t.priority },
      created: { key: (t) => t.metadata.created_at },
      tags: { key: (t) => t.metadata.tags },
    },
    fullText: { fields: [{ name: 'content' }] },
    flushDelayMs: 10,
    ...options,
  });
  if (autoClose) onCleanup(() => collection.close().catch(() => undefined));
  return collection;
}
