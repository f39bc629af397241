// The README's usage example, runnable: node examples/basic.mjs (after a build)
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FullTextIndex, SecondaryIndex, intersectSorted } from '@vellum/index';

const dir = await mkdtemp(join(tmpdir(), 'vellum-index-example-'));

// Tasks as spec 000 stores them (.ap-state/tasks/active/TASK-001-001.json ...).
const tasks = new Map([
  ['TASK-001-001', { status: 'pending', priority: 'high', metadata: { story_id: 'STORY-1' } }],
  ['TASK-001-002', { status: 'in_progress', priority: 'low', metadata: { story_id: 'STORY-1' } }],
  ['TASK-002-001', { status: 'pending', priority: 'low', metadata: { story_id: 'STORY-2' } }],
]);

// Secondary indexes: key -> sorted ids.
const byStatus = new SecondaryIndex({ name: 'by-status', key: (task) => task.status });
const byStory = new SecondaryIndex({ name: 'by-story', key: (task) => task.metadata.story_id });
byStatus.rebuild(tasks);
byStory.rebuild(tasks);

console.log(byStatus.get('pending')); // [ 'TASK-001-001', 'TASK-002-001' ]
console.log(byStory.prefix('STORY-')); // all three
console.log(intersectSorted([byStatus.get('pending'), byStory.get('STORY-1')])); // AND

// Every write goes through update(id, oldDoc, newDoc).
const next = { ...tasks.get('TASK-001-001'), status: 'completed' };
byStatus.update('TASK-001-001', tasks.get('TASK-001-001'), next);
tasks.set('TASK-001-001', next);

// Persisted in the spec's shape: {"completed": ["TASK-001-001"], ...}.
const file = join(dir, 'by-status.json');
await byStatus.save(file);
const loaded = await SecondaryIndex.load(file, { name: 'by-status', key: (task) => task.status });
console.log(loaded?.verify(tasks)); // { ok: true, missing: [], extra: [] }

// Full text over tickets and epics (spec 002), ranked with BM25.
const search = new FullTextIndex({ fields: [{ name: 'title', weight: 2 }, 'description'] });
search.add('tkt_123', 'tickets', { title: 'Implement user authentication', description: '...' });
search.add('tkt_124', 'tickets', { title: 'Avatar upload', description: 'for each user' });
search.add('epic_12', 'epics', { title: 'User Authentication System', description: '' });
console.log(search.search('authentication', { kinds: ['tickets'] }));
console.log(search.search('auth', { prefix: true, limit: 2 }));
await search.save(join(dir, 'search_index.json'));
