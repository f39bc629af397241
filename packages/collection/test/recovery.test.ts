import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openTasks, task } from './fixtures.js';
import { freshDir } from './helpers.js';

const STATE = '.vellum/tasks';
const fileOf = (root: string, n: number): string =>
  join(root, 'tasks', 'active', `${task(n).id}.json`);

describe('a lost snapshot after the journal was compacted', () => {
  it('rebuilds from the journal when it holds every record from sequence 1, even with a task file lost too', async () => {
    const root = await freshDir();
    const writer = await openTasks(root, {}, false);
    for (let n = 1; n <= 3; n++) await writer.put(task(n));
    await writer.patch(task(2).id, { priority: 'high' });
    // `vellum journal compact`: a snapshot, and the journal compacted behind it.
    await writer.checkpoint();
    await writer.close();
    // A double fault: the snapshot and one document's file are gone.
    await rm(join(root, STATE, 'snapshot.jsonl'));
    await rm(fileOf(root, 2));

    const tasks = await openTasks(root);
    expect(await tasks.get(task(2).id)).toEqual({ ...task(2), priority: 'high' });
    expect((await tasks.getEntry(task(2).id))?.revision).toBe(4);
    expect(await tasks.count()).toBe(3);
    expect(tasks.report.rebuilt).toEqual({
      from: 'journal',
      gap: undefined,
      restored: [task(2).id],
    });
    expect(tasks.report.adopted).toEqual([]);
    await tasks.flush();
    expect(JSON.parse(await readFile(fileOf(root, 2), 'utf8'))).toEqual({
      ...task(2),
      priority: 'high',
    });
  });

  it('rebuilds from the files and what the journal still has, and reports the sequence numbers it lacks', async () => {
    const root = await freshDir();
    // Every append starts a new segment, so compaction leaves only the newest.
    const writer = await openTasks(root, { rotateBytes: 1 }, false);
    for (let n = 1; n <= 3; n++) await writer.put(task(n));
    const { seq } = await writer.checkpoint();
    await writer.close();
    await rm(join(root, STATE, 'snapshot.jsonl'));
    // Task 3's last write is in the journal still; task 1's was compacted away.
    await rm(fileOf(root, 3));
    await rm(fileOf(root, 1));

    const tasks = await openTasks(root, { rotateBytes: 1 });
    expect(await tasks.get(task(3).id)).toEqual(task(3));
    expect(await tasks.get(task(2).id)).toEqual(task(2));
    expect(await tasks.get(task(1).id)).toBeUndefined();
    expect(tasks.report.rebuilt).toEqual({
      from: 'files',
      gap: { fromSeq: 1, toSeq: seq - 1 },
      restored: [task(3).id],
    });
    await tasks.flush();
    await expect(stat(fileOf(root, 3))).resolves.toBeDefined();
  });

  it('reports nothing when the snapshot is there', async () => {
    const root = await freshDir();
    const writer = await openTasks(root, {}, false);
    await writer.put(task(1));
    await writer.close();
    const tasks = await openTasks(root);
    expect(tasks.report.rebuilt).toBeUndefined();
  });
});
