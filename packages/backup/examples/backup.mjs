// Runnable: node examples/backup.mjs (after a build)
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Collection, perDocumentLayout } from '@vellum/collection';
import {
  createBackup,
  exportBackup,
  importBackup,
  listBackups,
  restoreBackup,
  rotateBackups,
  verifyBackup,
} from '@vellum/backup';

const Task = z.object({
  id: z.string().regex(/^TASK-\d+-\d+$/),
  content: z.string().min(1),
  status: z.enum(['pending', 'in_progress', 'completed']),
});

const dir = await mkdtemp(join(tmpdir(), 'vellum-backup-'));
const root = join(dir, '.ap-state');
const open = () =>
  Collection.open({
    root,
    name: 'tasks',
    schema: Task,
    layout: perDocumentLayout({
      dir: 'tasks',
      pathOf: (task, id) =>
        task.status === 'completed' ? `completed/${id}.json` : `active/${id}.json`,
    }),
    // Keep the whole journal: point-in-time restores can then reach any later moment.
    journalRetention: 'keep',
  });

let tasks = await open();
await tasks.put({ id: 'TASK-001-001', content: 'Design the login page', status: 'pending' });
await tasks.put({ id: 'TASK-001-002', content: 'Write login tests', status: 'pending' });

// A consistent backup while writers may keep going: .ap-state/checkpoints/YYYYMMDD_HHMMSS/
const backup = await createBackup({
  root,
  collections: [tasks],
  kind: 'ap-state',
  onProgress: ({ phase, files, totalFiles }) =>
    process.stdout.write(`\r${phase} ${files}/${totalFiles}   `),
});
console.log(
  `\nbackup ${backup.id}: ${backup.manifest.totals.files} files, seq ${backup.manifest.collections[0].seq}`,
);

const { revision } = await tasks.patch('TASK-001-001', { status: 'completed' });
await tasks.delete('TASK-001-002'); // a mistake we want to undo
await tasks.close();

console.log('verify:', (await verifyBackup({ root }, backup.id)).ok ? 'intact' : 'damaged');
console.log(
  'backups:',
  (await listBackups({ root })).map((b) => b.id),
);

// Point-in-time restore: the backup, then the journal replayed up to the patch, not the delete.
const report = await restoreBackup({ root }, backup.id, { to: { seq: revision } });
console.log(
  `restored to seq ${report.collections[0].seq}; the previous state is kept at ${report.movedAside}`,
);
tasks = await open();
console.log(
  'tasks now:',
  (await tasks.query()).items.map((t) => `${t.id} ${t.status}`),
);
await tasks.close();

// A portable archive, verified on import elsewhere.
const archive = join(dir, `${backup.id}.tar.gz`);
await exportBackup({ root }, backup.id, archive);
const imported = await importBackup({ root: join(dir, 'elsewhere') }, archive);
console.log(`imported ${imported.id} into ${imported.path}`);

// Spec 001's rotation: the newest of each of the last 7 days and 4 weeks.
console.log('rotation:', await rotateBackups({ root }, { daily: 7, weekly: 4 }));
await rm(dir, { recursive: true, force: true });
