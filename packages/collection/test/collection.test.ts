import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  Collection,
  CollectionClosedError,
  ConflictError,
  NotFoundError,
  UniqueConstraintError,
  ValidationError,
  mapFileLayout,
} from '../src/index.js';
import { openTasks, task, ticketLayout, type Task } from './fixtures.js';
import { freshDir, onCleanup, tree } from './helpers.js';

async function snapshotTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  // Lock files come and go with the writer's lease; everything else must not change.
  for (const file of await tree(root)) {
    if (!file.includes('.lock')) out.set(file, await readFile(join(root, file), 'utf8'));
  }
  return out;
}

describe('Collection writes', () => {
  it('puts, gets, patches and deletes with revisions', async () => {
    const tasks = await openTasks(await freshDir());
    const put = await tasks.put(task(1));
    expect(put).toEqual({ id: 'TASK-002-001', revision: expect.any(Number) as number });
    expect(await tasks.get('TASK-002-001')).toEqual(task(1));
    const patched = await tasks.patch('TASK-002-001', {
      status: 'in_progress',
      metadata: { tags: ['a'] },
    });
    expect(patched.revision).toBeGreaterThan(put.revision);
    expect(await tasks.getEntry('TASK-002-001')).toEqual({
      doc: { ...task(1), status: 'in_progress', metadata: { ...task(1).metadata, tags: ['a'] } },
      revision: patched.revision,
    });
    await tasks.delete('TASK-002-001');
    expect(await tasks.get('TASK-002-001')).toBeUndefined();
    expect(await tasks.count()).toBe(0);
  });

  it('fails with ConflictError when expectedRevision moved, and writes nothing', async () => {
    const tasks = await openTasks(await freshDir());
    const { revision } = await tasks.put(task(1));
    await tasks.patch('TASK-002-001', { content: 'changed by someone else' });
    const error = await tasks
      .patch('TASK-002-001', { status: 'completed' }, { expectedRevision: revision })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({
      code: 'VELLUM_CONFLICT',
      id: 'TASK-002-001',
      expectedRevision: revision,
    });
    expect((await tasks.get('TASK-002-001'))?.status).toBe('pending');
    await expect(tasks.put(task(2), { expectedRevision: 0 })).resolves.toBeDefined();
    await expect(tasks.put(task(2), { expectedRevision: 0 })).rejects.toBeInstanceOf(ConflictError);
  });

  it('rejects bad input with a ValidationError naming each field, leaving the disk byte-identical', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root);
    await tasks.put(task(1));
    await tasks.flush();
    const before = await snapshotTree(root);
    const bad = [
      { ...task(2), id: 'TASK-1' },
      { ...task(2), status: 'unknown' },
      { ...task(2), content: '' },
      { ...task(2), id: '../../etc/passwd' },
      { ...task(2), extra: undefined, metadata: { story_id: 7 } },
      'not an object',
    ];
    for (const doc of bad) {
      const error = (await tasks.put(doc).catch((e: unknown) => e)) as ValidationError;
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.code).toBe('VELLUM_VALIDATION');
      expect(error.issues.length).toBeGreaterThan(0);
    }
    const statusError = (await tasks
      .put({ ...task(2), status: 'unknown' })
      .catch((e: unknown) => e)) as ValidationError;
    expect(statusError.issues.map((issue) => issue.path)).toEqual([['status']]);
    expect(statusError.message).toContain('status');
    await expect(tasks.patch('TASK-002-001', { priority: 'urgent' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(tasks.patch('TASK-002-001', { id: 'TASK-009-009' })).rejects.toThrow(
      /cannot change the id/,
    );
    await expect(tasks.patch('TASK-404-404', { status: 'completed' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(tasks.delete('TASK-404-404')).rejects.toMatchObject({ code: 'VELLUM_NOT_FOUND' });
    await tasks.flush();
    expect(await snapshotTree(root)).toEqual(before);
  });

  it('applies a batch all or nothing', async () => {
    const tasks = await openTasks(await freshDir());
    await tasks.put(task(1));
    await expect(
      tasks.batch([
        { type: 'put', doc: task(2) },
        { type: 'patch', id: 'TASK-002-001', patch: { status: 'completed' } },
        { type: 'put', doc: { ...task(3), priority: 'nope' } },
      ]),
    ).rejects.toThrow(/batch item 2/);
    expect(await tasks.count()).toBe(1);
    const results = await tasks.batch([
      { type: 'put', doc: task(2) },
      { type: 'patch', id: 'TASK-002-001', patch: { status: 'completed' } },
      { type: 'delete', id: 'TASK-003-002' },
    ]);
    expect(results.map((r) => r.id)).toEqual(['TASK-003-002', 'TASK-002-001', 'TASK-003-002']);
    expect(await tasks.count()).toBe(1);
    expect((await tasks.get('TASK-002-001'))?.status).toBe('completed');
  });

  it('enforces unique indexes, within a batch too', async () => {
    const root = await freshDir();
    const Ticket = z.object({ id: z.string(), number: z.number() });
    const tickets = await Collection.open({
      root,
      name: 'tickets',
      schema: Ticket,
      layout: mapFileLayout<z.infer<typeof Ticket>>({ file: 'tickets.json' }),
      indexes: { number: { key: (t) => t.number, unique: true } },
    });
    onCleanup(() => tickets.close());
    await tickets.put({ id: 'a', number: 1 });
    await expect(tickets.put({ id: 'b', number: 1 })).rejects.toMatchObject({
      code: 'VELLUM_UNIQUE_VIOLATION',
      index: 'number',
      key: 1,
      id: 'b',
      existingId: 'a',
    });
    await expect(
      tickets.batch([
        { type: 'put', doc: { id: 'b', number: 2 } },
        { type: 'put', doc: { id: 'c', number: 2 } },
      ]),
    ).rejects.toBeInstanceOf(UniqueConstraintError);
    expect(await tickets.count()).toBe(1);
    await tickets.batch([
      { type: 'put', doc: { id: 'a', number: 5 } },
      { type: 'put', doc: { id: 'b', number: 1 } },
    ]);
    expect((await tickets.query({ where: { number: 1 } })).items.map((t) => t.id)).toEqual(['b']);
  });

  it('refuses use after close', async () => {
    const tasks = await openTasks(await freshDir(), {}, false);
    await tasks.close();
    await expect(tasks.get('x')).rejects.toBeInstanceOf(CollectionClosedError);
    await expect(tasks.put(task(1))).rejects.toBeInstanceOf(CollectionClosedError);
  });
});

describe('Collection queries', () => {
  async function seeded(): Promise<Awaited<ReturnType<typeof openTasks>>> {
    const tasks = await openTasks(await freshDir());
    await tasks.batch(
      Array.from({ length: 30 }, (_, n) => ({
        type: 'put' as const,
        doc: task(n, {
          status: n % 4 === 0 ? 'completed' : 'pending',
          metadata: { ...task(n).metadata, tags: n % 2 ? ['odd'] : ['even', 'x'] },
        }),
      })),
    );
    return tasks;
  }

  it('answers equality, in, range and prefix, combined with AND, sorted by id', async () => {
    const tasks = await seeded();
    const byStatus = await tasks.query({ where: { status: 'completed' } });
    expect(byStatus.total).toBe(8);
    expect(byStatus.items.every((t) => t.status === 'completed')).toBe(true);
    const ids = byStatus.items.map((t) => t.id);
    expect(ids).toEqual([...ids].sort());
    const both = await tasks.query({
      where: { status: 'pending', story: { in: ['STORY-1', 'STORY-2'] } },
    });
    expect(
      both.items.every(
        (t) => t.status === 'pending' && ['STORY-1', 'STORY-2'].includes(t.metadata.story_id),
      ),
    ).toBe(true);
    expect(both.total).toBe(10);
    const range = await tasks.query({
      where: { created: { gte: '2026-11-05', lt: '2026-11-08' } },
    });
    expect(range.items.map((t) => t.metadata.created_at).sort()).toEqual(
      ['2026-11-05', '2026-11-06', '2026-11-07'].flatMap(
        (d) =>
          Array(range.items.filter((t) => t.metadata.created_at === d).length).fill(d) as string[],
      ),
    );
    expect(range.total).toBe(3);
    expect((await tasks.query({ where: { story: { prefix: 'STORY-' } } })).total).toBe(30);
    expect((await tasks.query({ where: { tags: 'odd' } })).total).toBe(15);
  });

  it('pages with a cursor and projects fields, so agents get small answers', async () => {
    const tasks = await seeded();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await tasks.query({ limit: 7, cursor, fields: ['id', 'metadata.story_id'] });
      expect(page.total).toBe(30);
      for (const item of page.items) {
        expect(Object.keys(item).sort()).toEqual(['id', 'metadata']);
        expect(Object.keys(item.metadata)).toEqual(['story_id']);
        seen.push(item.id);
      }
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toHaveLength(30);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(30);
  });

  it('rejects unknown indexes and forged cursors', async () => {
    const tasks = await seeded();
    await expect(tasks.query({ where: { owner: 'x' } })).rejects.toThrow(/no such index/);
    await expect(tasks.query({ cursor: '!!!' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('searches full text, ranked, with prefix matching and paging', async () => {
    const tasks = await seeded();
    await tasks.put(task(99, { content: 'authentication authentication tokens' }));
    const found = await tasks.search('authent', { limit: 5 });
    expect(found.total).toBe(16);
    expect(found.items[0]?.id).toBe(task(99).id);
    expect(found.nextCursor).toBeDefined();
    const next = await tasks.search('authent', { limit: 5, cursor: found.nextCursor });
    expect(next.items.map((i) => i.id)).not.toContain(task(99).id);
  });
});

describe('Collection files', () => {
  it('write-behind: files follow after a quiet moment; the journal is the commit point', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root, { flushDelayMs: 60_000 });
    await tasks.put(task(1));
    expect((await tree(root)).filter((f) => f.startsWith('tasks/'))).toEqual([]);
    await tasks.flush();
    expect((await tree(root)).filter((f) => f.startsWith('tasks/'))).toEqual([
      'tasks/active/TASK-002-001.json',
      'tasks/index/by-status.json',
      'tasks/index/by-story.json',
    ]);
    expect(JSON.parse(await readFile(join(root, 'tasks/index/by-status.json'), 'utf8'))).toEqual({
      pending: ['TASK-002-001'],
    });
  });

  it('write-through: the file is rewritten before the write is acknowledged', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root, { mode: 'write-through', flushDelayMs: 60_000 });
    await tasks.put(task(1));
    await tasks.patch('TASK-002-001', { status: 'completed' });
    expect(
      JSON.parse(await readFile(join(root, 'tasks/completed/2026-11/TASK-002-001.json'), 'utf8')),
    ).toEqual({
      ...task(1),
      status: 'completed',
    });
    expect(await readdir(join(root, 'tasks/active'))).toEqual([]);
  });

  it('recovers unmaterialized writes from the journal after a crash', async () => {
    const root = await freshDir();
    const crashed = await openTasks(root, { flushDelayMs: 60_000 }, false);
    await crashed.put(task(1));
    await crashed.put(task(2));
    // No close(): the process "dies" with nothing materialized.
    const reopened = await openTasks(root);
    expect(reopened.report.replayed).toBeGreaterThan(0);
    expect(await reopened.count()).toBe(2);
    await reopened.flush();
    expect(await readdir(join(root, 'tasks/active'))).toEqual([
      'TASK-002-001.json',
      'TASK-003-002.json',
    ]);
  });

  it('reopens from the snapshot written at close, and compacts the journal', async () => {
    const root = await freshDir();
    const first = await openTasks(root, { rotateBytes: 2000 }, false);
    for (let n = 0; n < 40; n++) await first.put(task(n));
    const { revision } = await first.patch(task(3).id, { status: 'blocked' });
    await first.close();
    const wal = await readdir(join(root, '.vellum/tasks/wal'));
    expect(wal.filter((f) => f.endsWith('.wal')).length).toBe(1);
    const again = await openTasks(root);
    expect(await again.count()).toBe(40);
    expect((await again.getEntry(task(3).id))?.revision).toBe(revision);
    expect((await again.query({ where: { status: 'blocked' } })).items.map((t) => t.id)).toEqual([
      task(3).id,
    ]);
  });

  it('imports a folder of spec files that has no journal', async () => {
    const root = await freshDir();
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(root, 'tasks/active'), { recursive: true });
    await writeFile(
      join(root, 'tasks/active/TASK-001-001.json'),
      JSON.stringify(task(5, { id: 'TASK-001-001' }), null, 2),
    );
    await writeFile(
      join(root, 'tasks/active/TASK-001-002.json'),
      JSON.stringify(task(6, { id: 'TASK-001-002' })),
    );
    const tasks = await openTasks(root);
    expect(tasks.report.imported).toBe(2);
    expect((await tasks.query({ where: { status: 'pending' } })).total).toBe(2);
  });

  it('keeps an invalid imported file aside and reports it, never dropping it silently', async () => {
    const root = await freshDir();
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(root, 'tasks/active'), { recursive: true });
    await writeFile(
      join(root, 'tasks/active/TASK-001-001.json'),
      JSON.stringify(task(5, { id: 'TASK-001-001' })),
    );
    await writeFile(
      join(root, 'tasks/active/TASK-001-002.json'),
      '{"id": "TASK-001-002", "status": ',
    );
    await writeFile(
      join(root, 'tasks/active/TASK-001-003.json'),
      JSON.stringify({ ...task(7, { id: 'TASK-001-003' }), status: 'weird' }),
    );
    const tasks = await openTasks(root);
    expect(tasks.report.imported).toBe(1);
    expect(tasks.report.quarantined.map((q) => q.file.split('/').at(-1))).toEqual([
      'TASK-001-002.json',
      'TASK-001-003.json',
    ]);
    for (const q of tasks.report.quarantined)
      expect(await readFile(q.keptAt, 'utf8')).toContain('TASK-001-00');
  });

  it('adopts a hand edit made while closed instead of overwriting it', async () => {
    const root = await freshDir();
    const first = await openTasks(root, {}, false);
    await first.put(task(1));
    await first.put(task(2));
    await first.close();
    const file = join(root, 'tasks/active/TASK-002-001.json');
    const edited = { ...task(1), content: 'edited by hand', priority: 'high' };
    await writeFile(file, JSON.stringify(edited, null, 2));
    await import('node:fs/promises').then(({ unlink }) =>
      unlink(join(root, 'tasks/active/TASK-003-002.json')),
    );
    const tasks = await openTasks(root);
    expect(tasks.report.adopted.map((a) => [a.id, a.change])).toEqual([
      ['TASK-002-001', 'put'],
      ['TASK-003-002', 'delete'],
    ]);
    expect(await tasks.get('TASK-002-001')).toEqual(edited);
    expect(await tasks.get('TASK-003-002')).toBeUndefined();
    await tasks.close();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(edited);
  });

  it('adopts a hand edit made while open before it would be overwritten', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root, { layout: ticketLayout() });
    await tasks.put(task(1));
    await tasks.flush();
    const file = join(root, '.pm/tickets.json');
    const [doc] = JSON.parse(await readFile(file, 'utf8')) as Task[];
    await writeFile(file, JSON.stringify([{ ...doc, content: 'hand edit' }], null, 2));
    await tasks.put(task(2));
    await tasks.flush();
    const written = JSON.parse(await readFile(file, 'utf8')) as Task[];
    expect(written.map((t) => t.content)).toEqual(['hand edit', task(2).content]);
  });

  it('shares state between two instances: a write is visible to the other on its next read', async () => {
    const root = await freshDir();
    const a = await openTasks(root);
    const b = await openTasks(root);
    await a.put(task(1));
    expect(await b.get(task(1).id)).toEqual(task(1));
    const { revision } = await b.patch(task(1).id, { status: 'in_progress' });
    expect((await a.getEntry(task(1).id))?.revision).toBe(revision);
    await expect(
      a.patch(task(1).id, { status: 'completed' }, { expectedRevision: revision - 1 }),
    ).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('returned documents', () => {
  it('are frozen, so mutating one cannot corrupt the indexes, and the caller input stays mutable', async () => {
    const tasks = await openTasks(await freshDir());
    const input = task(1);
    await tasks.put(input);
    input.status = 'completed';
    const stored = await tasks.get(task(1).id);
    expect(stored?.status).toBe('pending');
    expect(() => {
      (stored as Task).status = 'blocked';
    }).toThrow(TypeError);
    expect(() => {
      (stored as Task).metadata.persona = 'x';
    }).toThrow(TypeError);
    expect((await tasks.verifyIndexes()).status?.ok).toBe(true);
  });
});

describe('a damaged file of a document Vellum still has', () => {
  it('is kept aside and written again from the good state, never read as a deletion (one file per document)', async () => {
    const root = await freshDir();
    const first = await openTasks(root, {}, false);
    await first.put(task(1));
    await first.put(task(2));
    await first.close();
    const file = join(root, 'tasks/active/TASK-002-001.json');
    await writeFile(file, '{"id": "TASK-002-001", "content": ');
    const second = await openTasks(root, {}, false);
    expect(second.report.quarantined.map((q) => q.file)).toEqual([file]);
    await second.close();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(task(1));
    const third = await openTasks(root);
    expect(third.report.adopted).toEqual([]);
    expect(await third.count()).toBe(2);
  });

  it('is kept aside and written again from the good state (one file for all documents)', async () => {
    const root = await freshDir();
    const first = await openTasks(root, { layout: ticketLayout() }, false);
    await first.put(task(1));
    await first.put(task(2));
    await first.close();
    const file = join(root, '.pm/tickets.json');
    await writeFile(file, '[{"id": "TASK-00');
    const second = await openTasks(root, { layout: ticketLayout() }, false);
    expect(second.report.quarantined.map((q) => q.file)).toEqual([file]);
    await second.close();
    expect((JSON.parse(await readFile(file, 'utf8')) as Task[]).map((t) => t.id)).toEqual([
      task(1).id,
      task(2).id,
    ]);
    const third = await openTasks(root, { layout: ticketLayout() });
    expect(await third.count()).toBe(2);
    expect(third.report.adopted).toEqual([]);
  });
});
