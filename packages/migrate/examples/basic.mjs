// Runnable: node examples/basic.mjs (after a build)
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Collection, perDocumentLayout } from '@vellum/collection';
import {
  Migrator,
  checkStoreVersion,
  defineMigrations,
  upgradingSchema,
  writeStoreVersion,
} from '@vellum/migrate';

// The migrations: each has an id, from and to versions, and up and down transforms per collection.
const registry = defineMigrations([
  {
    id: '0002-priority',
    from: 1,
    to: 2,
    description: 'tasks get a priority',
    up: { tasks: (task) => ({ ...task, priority: 'medium' }) },
    down: { tasks: ({ priority: _priority, ...task }) => task },
  },
  {
    id: '0003-title',
    from: 2,
    to: 3,
    description: 'content is renamed title',
    up: { tasks: ({ content, ...task }) => ({ ...task, title: content }) },
    down: { tasks: ({ title, ...task }) => ({ ...task, content: title }) },
  },
]);
const layout = perDocumentLayout({ dir: 'tasks', pathOf: (_task, id) => `active/${id}.json` });
const collections = { tasks: { layout } };

// A store as the previous release left it: version 1.
const root = await mkdtemp(join(tmpdir(), 'vellum-migrate-'));
const old = await Collection.open({ root, name: 'tasks', layout, schema: z.looseObject({}) });
await old.put({ version: '1', id: 'TASK-001-001', content: 'Design the login page' });
await old.put({ version: '1', id: 'TASK-001-002', content: 'Write the migration' });
await old.close();
await writeStoreVersion(root, '1');

const migrator = await Migrator.open({ root, registry, collections });
const status = await migrator.status();
console.log(
  `store at ${status.current}, pending:`,
  status.pending.map((m) => m.id),
);

// What would change, without writing anything.
const preview = await migrator.up({ dryRun: true });
for (const step of preview.steps) {
  for (const c of step.collections) {
    console.log(`${step.migrationId}: ${c.collection} ${c.changed}/${c.documents} would change`);
    console.log('  e.g.', JSON.stringify(c.samples[0]));
  }
}

// The real run: a backup, then each step all or nothing.
const done = await migrator.up();
for (const step of done.steps) console.log(`${step.migrationId} done; backup at ${step.backup}`);

// The application: refuse a store from the future, upgrade older documents as they are read.
await checkStoreVersion(root, registry);
const Task = z.object({ id: z.string(), title: z.string(), priority: z.string() });
const tasks = await Collection.open({
  root,
  name: 'tasks',
  layout,
  schema: upgradingSchema(Task, registry, { collection: 'tasks' }),
});
console.log(await tasks.get('TASK-001-001'));
await tasks.close();

// And back.
await migrator.down({ to: 1 });
console.log(`store at ${(await migrator.status()).current} again; data in ${root}`);
