import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Collection, perDocumentLayout } from '../src/index.js';
import { freshDir } from './helpers.js';

const child = join(import.meta.dirname, 'children', 'store.mjs');
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

interface Child {
  proc: ChildProcessWithoutNullStreams;
  lines: Interface;
  next(): Promise<string>;
  exited: Promise<number | null>;
}

function start(args: string[]): Child {
  const proc = spawn(process.execPath, [child, ...args], { stdio: 'pipe' });
  proc.stderr.on('data', (data: Buffer) => process.stderr.write(data));
  const lines = createInterface({ input: proc.stdout });
  const iterator = lines[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    lines,
    exited,
    next: async () => {
      const result: IteratorResult<string> = await iterator.next();
      if (result.done === true) throw new Error('child closed its output');
      return result.value;
    },
  };
}

describe('collection shared by processes', () => {
  it('4 writers x 50 read-modify-writes and a long-lived reader: all kept, every acknowledged write visible', async () => {
    const root = await freshDir();
    const setup = await openHere(root);
    await setup.put({ id: 'counter', count: 0, by: [] });
    await setup.close();

    const reader = start(['reader', root]);
    expect(await reader.next()).toBe('ready');
    const writers = Array.from({ length: 4 }, () => start(['writer', root, '50']));
    let acked = 0;
    let highest = 0;
    await Promise.all(
      writers.map(async (writer) => {
        expect(await writer.next()).toBe('ready');
        for (;;) {
          let line: string;
          try {
            line = await writer.next();
          } catch {
            break;
          }
          acked++;
          const [, revision, count] = line.split(' ').map(Number);
          highest = Math.max(highest, revision ?? 0);
          // Another process's acknowledged write is visible to the reader's next read.
          reader.proc.stdin.write('get counter\n');
          const seen = JSON.parse(await reader.next()) as Task;
          expect(seen.count).toBeGreaterThanOrEqual(count ?? Infinity);
        }
      }),
    );
    expect(await Promise.all(writers.map((w) => w.exited))).toEqual([0, 0, 0, 0]);
    expect(acked).toBe(200);
    expect(highest).toBeGreaterThan(200);
    reader.proc.stdin.write('get counter\n');
    const final = JSON.parse(await reader.next()) as Task;
    expect(final.count).toBe(200);
    expect(final.by).toHaveLength(200);
    reader.proc.stdin.write('exit\n');
    expect(await reader.exited).toBe(0);
    const check = await openHere(root);
    expect((await check.get('counter'))?.count).toBe(200);
    await check.close();
  });

  it(
    'a writer killed with SIGKILL during batches leaves each batch all or nothing',
    async () => {
      const root = await freshDir();
      for (let round = 0; round < KILL_ROUNDS; round++) {
        const batcher = start(['batcher', root]);
        expect(await batcher.next()).toBe('ready');
        const stopAfter = 2 + Math.floor(Math.random() * 10);
        let last = -1;
        for (let i = 0; i < stopAfter; i++) last = Number((await batcher.next()).split(' ')[1]);
        batcher.proc.kill('SIGKILL');
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
