import { join } from 'node:path';
import { assertBuilt, spawnNode, type Child } from '@vellum/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Collection, perDocumentLayout } from '../src/index.js';
import { freshDir } from './helpers.js';

const script = join(import.meta.dirname, 'children', 'store.mjs');
const Task = z.object({
  id: z.string(),
  count: z.number().int(),
  by: z.array(z.number()),
  batch: z.number().optional(),
});
type Task = z.infer<typeof Task>;

/** `npm run torture` raises it. */
const KILL_ROUNDS = Number(process.env.VELLUM_KILL_ROUNDS ?? 5);

async function openHere(root: string): Promise<Collection<Task>> {
  return Collection.open<Task>({
    root,
    name: 'tasks',
    schema: Task,
    layout: perDocumentLayout<Task>({ dir: 'tasks', pathOf: (_doc, id) => `${id}.json` }),
    indexes: { batch: { key: (t) => t.batch } },
  });
}

/** The child's next stdout line; rejects, with its output, once it has ended. */
const nextLine = (child: Child): Promise<string> => child.waitForLine(() => true);
const exitCode = async (child: Child): Promise<number | null> => (await child.exited).code;

beforeAll(() => {
  assertBuilt(join(import.meta.dirname, '..'), 'pnpm turbo run build --filter=@vellum/collection');
});

describe('collection shared by processes', () => {
  it('4 writers x 50 read-modify-writes and a long-lived reader: all kept, every acknowledged write visible', async () => {
    const root = await freshDir();
    const setup = await openHere(root);
    await setup.put({ id: 'counter', count: 0, by: [] });
    await setup.close();

    const reader = spawnNode(script, ['reader', root]);
    expect(await nextLine(reader)).toBe('ready');
    const writers = Array.from({ length: 4 }, () => spawnNode(script, ['writer', root, '50']));
    let acked = 0;
    let highest = 0;
    await Promise.all(
      writers.map(async (writer) => {
        expect(await nextLine(writer)).toBe('ready');
        for (;;) {
          let line: string;
          try {
            line = await nextLine(writer);
          } catch {
            break;
          }
          acked++;
          const [, revision, count] = line.split(' ').map(Number);
          highest = Math.max(highest, revision ?? 0);
          // Another process's acknowledged write is visible to the reader's next read.
          reader.send('get counter');
          const seen = JSON.parse(await nextLine(reader)) as Task;
          expect(seen.count).toBeGreaterThanOrEqual(count ?? Infinity);
        }
      }),
    );
    expect(await Promise.all(writers.map(exitCode))).toEqual([0, 0, 0, 0]);
    expect(acked).toBe(200);
    expect(highest).toBeGreaterThan(200);
    reader.send('get counter');
    const final = JSON.parse(await nextLine(reader)) as Task;
    expect(final.count).toBe(200);
    expect(final.by).toHaveLength(200);
    reader.send('exit');
    expect(await exitCode(reader)).toBe(0);
    const check = await openHere(root);
    expect((await check.get('counter'))?.count).toBe(200);
    await check.close();
  });

  it(
    'a writer killed with SIGKILL during batches leaves each batch all or nothing',
    async () => {
      const root = await freshDir();
      for (let round = 0; round < KILL_ROUNDS; round++) {
        const batcher = spawnNode(script, ['batcher', root]);
        expect(await nextLine(batcher)).toBe('ready');
        const stopAfter = 2 + Math.floor(Math.random() * 10);
        let last = -1;
        for (let i = 0; i < stopAfter; i++) last = Number((await nextLine(batcher)).split(' ')[1]);
        batcher.kill('SIGKILL');
        await batcher.exited;
        const store = await openHere(root);
        const all = await store.query({ limit: 100_000 });
        const byBatch = new Map<number, number>();
        for (const doc of all.items)
          byBatch.set(doc.batch ?? -1, (byBatch.get(doc.batch ?? -1) ?? 0) + 1);
        for (const [, size] of byBatch) expect(size).toBe(5);
        for (let n = 0; n <= last; n++) expect(byBatch.get(n)).toBe(5);
        await store.close();
        // The next round's batcher starts numbering from 0 again: clear for a clean count.
        const cleanup = await openHere(root);
        await cleanup.batch(all.items.map((doc) => ({ type: 'delete' as const, id: doc.id })));
        await cleanup.close();
      }
    },
    Math.max(60_000, KILL_ROUNDS * 10_000),
  );
});
