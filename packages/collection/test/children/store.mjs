// A process sharing a tasks collection. argv: role root [count]
//   writer: `count` patches (read-modify-write of a counter task), printing each acknowledged revision
//   reader: answers 'get <id>' lines on stdin with the document's JSON, until 'exit'
//   batcher: endless batches of 5 puts, printing 'ack <n>' after each
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { Collection, perDocumentLayout } from '../../dist/index.js';

const Task = z.object({
  id: z.string(),
  count: z.number().int(),
  by: z.array(z.number()),
  batch: z.number().optional(),
});
const [role, root, count] = process.argv.slice(2);
const tasks = await Collection.open({
  root,
  name: 'tasks',
  schema: Task,
  layout: perDocumentLayout({ dir: 'tasks', pathOf: (_doc, id) => `${id}.json` }),
  indexes: { batch: { key: (t) => t.batch } },
  flushDelayMs: 5,
  // Snapshots (and their journal seals) every couple of batches, so that kills land in them too.
  snapshotEvery: 7,
  lockTimeout: 60_000,
});
process.stdout.write('ready\n');

if (role === 'writer') {
  for (let i = 0; i < Number(count); i++) {
    for (;;) {
      const entry = await tasks.getEntry('counter');
      try {
        const result = await tasks.patch(
          'counter',
          { count: entry.doc.count + 1, by: [...entry.doc.by, process.pid] },
          { expectedRevision: entry.revision },
        );
        process.stdout.write(`ack ${result.revision} ${entry.doc.count + 1}\n`);
        break;
      } catch (error) {
        if (error.code !== 'VELLUM_CONFLICT') throw error;
      }
    }
  }
  await tasks.close();
} else if (role === 'reader') {
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'exit') break;
    const [, id] = line.split(' ');
    process.stdout.write(`${JSON.stringify((await tasks.get(id)) ?? null)}\n`);
  }
  await tasks.close();
  // stdin would keep the process alive.
  process.stdin.destroy();
} else if (role === 'batcher') {
  for (let n = 0; ; n++) {
    await tasks.batch(
      Array.from({ length: 5 }, (_, k) => ({
        type: 'put',
        doc: { id: `b${n}-${k}`, count: k, by: [], batch: n },
      })),
    );
    process.stdout.write(`ack ${n}\n`);
  }
}
