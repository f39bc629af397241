// Runnable: node examples/tasks.mjs (after a build)
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Collection, perDocumentLayout } from '@vellum/collection';

const Task = z.object({
  id: z.string().regex(/^TASK-\d+-\d+$/),
  content: z.string().min(1),
  status: z.enum(['pending', 'in_progress', 'completed']),
  story: z.string(),
});

const root = await mkdtemp(join(tmpdir(), 'vellum-collection-'));
const tasks = await Collection.open({
  root,
  name: 'tasks',
  schema: Task,
  layout: perDocumentLayout({
    dir: 'tasks',
    pathOf: (task, id) =>
      task.status === 'completed' ? `completed/${id}.json` : `active/${id}.json`,
  }),
  indexes: {
    status: { key: (t) => t.status, file: 'tasks/index/by-status.json' },
    story: { key: (t) => t.story },
  },
  fullText: { fields: ['content'] },
});

await tasks.put({
  id: 'TASK-001-001',
  content: 'Design the login page',
  status: 'pending',
  story: 'S1',
});
await tasks.put({
  id: 'TASK-001-002',
  content: 'Write login tests',
  status: 'pending',
  story: 'S1',
});
const { revision } = await tasks.patch('TASK-001-001', { status: 'completed' });

console.log(await tasks.query({ where: { status: 'pending' }, fields: ['id', 'content'] }));
console.log((await tasks.search('login')).items.map((hit) => hit.id));
console.log(`revision of TASK-001-001: ${revision}`);

try {
  await tasks.put({ id: 'TASK-001-003', content: '', status: 'later', story: 'S1' });
} catch (error) {
  console.log(error.code, error.issues);
}
await tasks.close();
console.log(`files in ${root}/tasks`);
