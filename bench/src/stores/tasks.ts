import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TaskStore, formatTaskId, monthOf, normalizeStory, type Task } from '@vellum/tasks';
import { PERSONAS, PRIORITIES, STATUSES } from '../records.js';

const TASKS_PER_STORY = 100;

/** The `i`-th task: stories of 100 tasks, `TASK-001-001` first. */
export function task(i: number): Task {
  const story = normalizeStory(Math.floor(i / TASKS_PER_STORY) + 1);
  return {
    id: formatTaskId(story, (i % TASKS_PER_STORY) + 1),
    content: `Task ${i}: implement the acceptance criteria and hand over for review`,
    status: STATUSES[i % STATUSES.length] ?? 'pending',
    priority: PRIORITIES[i % PRIORITIES.length] ?? 'medium',
    metadata: {
      created_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
      story_id: `STORY-${story}`,
      persona: PERSONAS[i % PERSONAS.length] ?? 'developer',
    },
  };
}

/** Where spec 000 keeps a task's file, relative to `.ap-state/tasks`. */
function pathOf(doc: Task): string {
  return doc.status === 'completed'
    ? `completed/${monthOf(doc.metadata.created_at)}/${doc.id}.json`
    : `active/${doc.id}.json`;
}

/**
 * A `.ap-state` of `count` tasks in `<root>/.ap-state`: the task files are
 * written as spec 000 lays them out, then TaskStore.open adopts them (one
 * journal transaction, indexes and snapshot written at close). Creating them
 * through the API ends in the same store, but its close() writes 10k files
 * atomically, two fsyncs each: about a minute here, for a setup step.
 */
export async function buildTaskStore(root: string, count: number): Promise<void> {
  const stateDir = join(root, '.ap-state');
  for (let i = 0; i < count; i++) {
    const doc = task(i);
    const file = join(stateDir, 'tasks', pathOf(doc));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
  }
  const store = await TaskStore.open({ root: stateDir });
  try {
    // Collections open on first use: this one's open is the import.
    await store.tasks.collection();
    const imported = store.report.tasks?.imported;
    if (imported !== count) throw new Error(`TaskStore imported ${imported} of ${count} tasks`);
  } finally {
    await store.close();
  }
}
