// Runnable: node examples/journal.mjs (after a build)
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal } from '@vellum/journal';

const dir = join(await mkdtemp(join(tmpdir(), 'vellum-journal-')), 'wal');
const journal = await Journal.open(dir);

// One transaction: durable when the promise resolves, replayed all or nothing.
await journal.append([
  { op: 'put', id: 'TASK-001-001', data: { status: 'pending' } },
  { op: 'put', id: 'TASK-001-002', data: { status: 'pending' } },
]);

// Across processes: take the lock, see what others appended, then append.
await journal.exclusive(async (othersAppended) => {
  console.log(`${othersAppended.length} transactions from other processes`);
  await journal.append([{ op: 'patch', id: 'TASK-001-001', data: { status: 'completed' } }]);
});

for await (const tx of journal.read()) {
  console.log(tx.seq, tx.ops.map((op) => `${op.op} ${op.id}`).join(', '));
}
console.log(await journal.verify());
await journal.close();
