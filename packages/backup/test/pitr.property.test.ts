import { join } from 'node:path';
import { withTempDir } from '@vellum/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBackup, restoreBackup } from '../src/index.js';
import { History, STATUSES, allDocs, openTasks, task, type Task } from './fixtures.js';

type Op =
  | { type: 'put'; n: number; status: Task['status'] }
  | { type: 'patch'; n: number; status: Task['status'] }
  | { type: 'delete'; n: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    type: fc.constant('put' as const),
    n: fc.integer({ min: 1, max: 6 }),
    status: fc.constantFrom(...STATUSES),
  }),
  fc.record({
    type: fc.constant('patch' as const),
    n: fc.integer({ min: 1, max: 6 }),
    status: fc.constantFrom(...STATUSES),
  }),
  fc.record({ type: fc.constant('delete' as const), n: fc.integer({ min: 1, max: 6 }) }),
);

const RUNS = Number(process.env.VELLUM_PITR_RUNS ?? 30);

/** Applies `op` when it makes sense for the current documents (a patch needs its document). */
async function apply(
  tasks: Awaited<ReturnType<typeof openTasks>>,
  o: Op,
  i: number,
): Promise<void> {
  const id = task(o.n).id;
  const exists = (await tasks.get(id)) !== undefined;
  if (o.type === 'put') await tasks.put(task(o.n, o.status, i));
  else if (o.type === 'patch' && exists)
    await tasks.patch(id, { status: o.status, title: `p${i}` });
  else if (o.type === 'delete' && exists) await tasks.delete(id);
}

describe('point-in-time restore (property)', () => {
  it('reproduces the exact state at any sequence number from the backup on', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 15 }),
        fc.array(op, { minLength: 0, maxLength: 15 }),
        fc.boolean(),
        fc.nat(1_000),
        async (before, after, checkpointBetween, pick) => {
          await withTempDir(async (dir) => {
            const root = join(dir, 'store');
            // No background flush: the history decides when files are written.
            const tasks = await openTasks(root, { flushDelayMs: 3_600_000 }, false);
            const history = new History(tasks);
            let i = 0;
            for (const o of before) await apply(tasks, o, i++);
            const created = await createBackup({ root, collections: [tasks] });
            for (const [k, o] of after.entries()) {
              await apply(tasks, o, i++);
              // Snapshots after the backup must not matter (the journal is kept).
              if (checkpointBetween && k === 2) await tasks.checkpoint();
            }
            await tasks.close();
            const entry = created.manifest.collections[0];
            if (entry === undefined) throw new Error('no collection in the manifest');
            const from = entry.materializedSeq;
            // Anywhere from the backup to one past the end.
            const seq = from + (pick % (history.lastSeq - from + 2));

            const report = await restoreBackup({ root }, created.id, { to: { seq } });
            const restored = await openTasks(root, {}, false);
            try {
              expect(await allDocs(restored)).toEqual(history.at(seq));
              expect(report.collections[0]).toEqual({
                name: 'tasks',
                seq: Math.max(from, history.seqAt(seq)),
                history: seq > entry.seq ? 'backup+current' : 'backup',
              });
              expect(restored.report.adopted).toEqual([]);
            } finally {
              await restored.close();
            }
            // Reopened, the materialized files say the same.
            const reopened = await openTasks(root, {}, false);
            try {
              expect(await allDocs(reopened)).toEqual(history.at(seq));
              expect(reopened.report.adopted).toEqual([]);
            } finally {
              await reopened.close();
            }
          }, 'vellum-backup-pitr-');
        },
      ),
      { numRuns: RUNS },
    );
  });
});
