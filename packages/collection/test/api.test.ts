import { cp, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  StoreExistsError,
  StoreNotFoundError,
  project,
  type ChangeEvent,
} from '../src/index.js';
import { openTasks, task, type Task } from './fixtures.js';
import { freshDir, tree } from './helpers.js';

async function contents(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const file of await tree(root)) out.set(file, await readFile(join(root, file), 'utf8'));
  return out;
}

describe('transact', () => {
  it('resolves with the value its plan returns, once the operations are committed', async () => {
    const tasks = await openTasks(await freshDir());
    const created = await tasks.transact((view) => {
      const doc = task(view.ids().length + 1);
      return { ops: [{ type: 'put', doc }], value: doc };
    });
    expect(created).toEqual(task(1));
    expect((await tasks.getEntry(task(1).id))?.doc).toEqual(created);
    // A plan returning bare operations still gets the write results.
    const results = await tasks.transact(() => [{ type: 'put', doc: task(2) }]);
    expect(results).toEqual([{ id: task(2).id, revision: 2 }]);
  });

  it('writes nothing and rejects when the value plan fails a check', async () => {
    const tasks = await openTasks(await freshDir());
    await tasks.put(task(1));
    await expect(
      tasks.transact(() => ({
        ops: [
          { type: 'put', doc: task(2) },
          { type: 'delete', id: task(1).id, expectedRevision: 7 },
        ],
        value: 'never seen',
      })),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await tasks.count()).toBe(1);
  });
});

describe('expectedRevision on batch operations', () => {
  it('is checked under the lock: a mismatch names the id and writes nothing', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root, { mode: 'write-through' });
    const [first, second] = await tasks.batch([
      { type: 'put', doc: task(1) },
      { type: 'put', doc: task(2) },
    ]);
    // Another instance moves task 2 on; this one has not seen it yet.
    const other = await openTasks(root);
    await other.patch(task(2).id, { status: 'blocked' });
    await other.flush();
    const before = await contents(root);
    const attempt = tasks.batch([
      { type: 'patch', id: task(1).id, patch: { status: 'completed' }, expectedRevision: 1 },
      { type: 'delete', id: task(2).id, expectedRevision: second?.revision },
      { type: 'put', doc: task(3), expectedRevision: 0 },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toMatchObject({
      code: 'VELLUM_CONFLICT',
      id: task(2).id,
      expectedRevision: second?.revision,
      actualRevision: 3,
    });
    await expect(attempt).rejects.toThrow(task(2).id);
    expect(await tasks.count()).toBe(2);
    expect((await tasks.getEntry(task(1).id))?.revision).toBe(first?.revision);
    expect(await contents(root)).toEqual(before);

    const done = await tasks.batch([
      { type: 'patch', id: task(1).id, patch: { status: 'completed' }, expectedRevision: 1 },
      { type: 'delete', id: task(2).id, expectedRevision: 3 },
      { type: 'put', doc: task(3), expectedRevision: 0 },
    ]);
    expect(done.map((r) => r.revision)).toEqual([4, 0, 6]);
  });

  it('applies to the operations a transact plan returns', async () => {
    const tasks = await openTasks(await freshDir());
    await tasks.put(task(1));
    await tasks.patch(task(1).id, { status: 'blocked' });
    await expect(
      tasks.transact((view) => [
        { type: 'patch', id: task(1).id, patch: { priority: 'high' }, expectedRevision: 1 },
        { type: 'put', doc: task(view.ids().length + 1) },
      ]),
    ).rejects.toMatchObject({ id: task(1).id, expectedRevision: 1, actualRevision: 2 });
    expect(await tasks.count()).toBe(1);
  });
});

describe('Collection.open createIfMissing and errorIfExists', () => {
  it('createIfMissing false: a missing collection is StoreNotFoundError, and nothing is created', async () => {
    const parent = await freshDir();
    const root = join(parent, 'no', 'such', 'store');
    const attempt = openTasks(root, { createIfMissing: false }, false);
    await expect(attempt).rejects.toBeInstanceOf(StoreNotFoundError);
    await expect(attempt).rejects.toMatchObject({ code: 'VELLUM_NO_STORE', path: root });
    expect(await tree(parent)).toEqual([]);
    await expect(stat(join(parent, 'no'))).rejects.toMatchObject({ code: 'ENOENT' });

    // An empty folder stays empty.
    await expect(openTasks(parent, { createIfMissing: false }, false)).rejects.toBeInstanceOf(
      StoreNotFoundError,
    );
    expect(await tree(parent)).toEqual([]);
  });

  it('createIfMissing false opens a collection that exists, and a folder of spec files to import', async () => {
    const root = await freshDir();
    const writer = await openTasks(root, {}, false);
    await writer.put(task(1));
    await writer.close();
    const reader = await openTasks(root, { createIfMissing: false });
    expect(await reader.get(task(1).id)).toEqual(task(1));

    // Only the documents' files, no Vellum state: a store to import.
    const imported = await freshDir();
    await cp(join(root, 'tasks'), join(imported, 'tasks'), { recursive: true });
    const opened = await openTasks(imported, { createIfMissing: false });
    expect(opened.report.imported).toBe(1);
  });

  it('errorIfExists: an existing collection is StoreExistsError and is left as it was; a new one opens', async () => {
    const root = await freshDir();
    const created = await openTasks(root, { errorIfExists: true }, false);
    await created.put(task(1));
    await created.close();
    const before = await contents(root);
    const attempt = openTasks(root, { errorIfExists: true }, false);
    await expect(attempt).rejects.toBeInstanceOf(StoreExistsError);
    await expect(attempt).rejects.toMatchObject({ code: 'VELLUM_STORE_EXISTS', path: root });
    expect(await contents(root)).toEqual(before);
  });
});

describe('refresh', () => {
  it("applies another instance's commits now, telling onChange listeners", async () => {
    const root = await freshDir();
    const writer = await openTasks(root);
    const reader = await openTasks(root);
    const seen: ChangeEvent<Task>[] = [];
    reader.onChange((event) => seen.push(event));
    await writer.put(task(1));
    expect(seen).toEqual([]);
    await reader.refresh();
    expect(seen).toEqual([{ id: task(1).id, type: 'put', seq: 1, doc: task(1), source: 'remote' }]);
  });
});

describe('project', () => {
  it('keeps only the given fields, dotted paths included', () => {
    expect(project(task(1), ['id', 'metadata.story_id'])).toEqual({
      id: task(1).id,
      metadata: { story_id: task(1).metadata.story_id },
    });
    expect(project(task(1), undefined)).toEqual(task(1));
  });
});

describe('index keys', () => {
  it('a key an index cannot hold is refused before the journal: nothing written, the store reopens', async () => {
    const root = await freshDir();
    const options = {
      indexes: { created: { key: (t: Task) => t.metadata.created_at, keyType: 'number' as const } },
    };
    const tasks = await openTasks(root, options, false);
    await expect(tasks.put(task(1))).rejects.toMatchObject({
      code: 'VELLUM_INVALID_KEY',
      index: 'created',
    });
    expect(await tasks.count()).toBe(0);
    await tasks.close();
    const reopened = await openTasks(root, options);
    expect(reopened.report.replayed).toBe(0);
    expect(await reopened.count()).toBe(0);
  });
});
