import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { ChangeEvent, OperationMetric } from '../src/index.js';
import { openTasks, task, type Task } from './fixtures.js';
import { freshDir } from './helpers.js';

describe('Collection hooks', () => {
  it('tells onChange listeners about local and remote changes, with their revisions', async () => {
    const root = await freshDir();
    const a = await openTasks(root);
    const b = await openTasks(root);
    const seen: ChangeEvent<Task>[] = [];
    const stop = a.onChange((event) => seen.push(event));
    const { revision } = await a.put(task(1));
    await b.patch(task(1).id, { status: 'completed' });
    await a.get(task(1).id);
    await b.delete(task(1).id);
    await a.count();
    expect(seen.map((e) => [e.type, e.source, e.doc?.status])).toEqual([
      ['put', 'local', 'pending'],
      ['put', 'remote', 'completed'],
      ['delete', 'remote', undefined],
    ]);
    expect(seen[0]?.seq).toBe(revision);
    stop();
    await a.put(task(2));
    expect(seen).toHaveLength(3);
  });

  it('reports every operation with its duration, status and result count', async () => {
    const metrics: OperationMetric[] = [];
    const tasks = await openTasks(await freshDir(), { onOperation: (m) => metrics.push(m) });
    await tasks.put(task(1));
    await tasks.put(task(2));
    await tasks.query({ where: { status: 'pending' } });
    await tasks.patch('TASK-404-404', {}).catch(() => undefined);
    expect(metrics.map((m) => [m.operation, m.status, m.result_count])).toEqual([
      ['put', 'ok', 1],
      ['put', 'ok', 1],
      ['query', 'ok', 2],
      ['patch', 'error', 0],
    ]);
    for (const m of metrics) {
      expect(m.duration_ms).toBeGreaterThanOrEqual(0);
      expect(Date.parse(m.timestamp)).not.toBeNaN();
    }
  });

  it('checkpoint() writes files, snapshot and checkpoint at one sequence, and lists them', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root, { flushDelayMs: 60_000 });
    await tasks.put(task(1));
    await tasks.put(task(2));
    const { seq } = await tasks.checkpoint();
    const files = await tasks.files();
    expect(files.documents.map((f) => f.slice(root.length + 1)).sort()).toEqual([
      'tasks/active/TASK-002-001.json',
      'tasks/active/TASK-003-002.json',
    ]);
    expect(files.indexes.map((f) => f.slice(root.length + 1)).sort()).toEqual([
      'tasks/index/by-status.json',
      'tasks/index/by-story.json',
    ]);
    expect(files.state.map((f) => f.split('/').at(-1))).toEqual([
      'checkpoint.json',
      'snapshot.jsonl',
    ]);
    const { readFile } = await import('node:fs/promises');
    const checkpoint = JSON.parse(await readFile(files.state[0] ?? '', 'utf8')) as {
      materializedSeq: number;
      snapshotSeq: number;
    };
    expect(checkpoint).toMatchObject({ materializedSeq: seq, snapshotSeq: seq });
    expect(tasks.stateDir).toBe(`${root}/.vellum/tasks`);
    expect(tasks.journalDir).toBe(`${root}/.vellum/tasks/wal`);
  });

  it('keeps the whole journal with journalRetention: keep', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root, { journalRetention: 'keep', rotateBytes: 600 }, false);
    for (let n = 0; n < 20; n++) await tasks.put(task(n));
    await tasks.checkpoint();
    await tasks.close();
    const segments = (await readdir(`${root}/.vellum/tasks/wal`)).filter((f) => f.endsWith('.wal'));
    expect(segments.length).toBeGreaterThan(3);
  });
});

describe('Collection.transact', () => {
  it('plans from the committed state under the lock: allocation never hands out an id twice', async () => {
    const root = await freshDir();
    const a = await openTasks(root);
    const b = await openTasks(root);
    const next = (view: { ids(): string[] }): Task => {
      const used = view.ids().map((id) => Number(id.split('-')[2]));
      const n = used.length === 0 ? 1 : Math.max(...used) + 1;
      return task(n, { id: `TASK-001-${String(n).padStart(3, '0')}` });
    };
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).transact((view) => [{ type: 'put', doc: next(view) }]),
      ),
    );
    const ids = (await a.query({ limit: 100, fields: ['id'] })).items.map((t) => t.id);
    expect(ids).toEqual(
      Array.from({ length: 20 }, (_, i) => `TASK-001-${String(i + 1).padStart(3, '0')}`),
    );
  });

  it('writes nothing when the plan throws or yields an invalid document', async () => {
    const tasks = await openTasks(await freshDir());
    await expect(
      tasks.transact(() => {
        throw new Error('cycle');
      }),
    ).rejects.toThrow('cycle');
    await expect(
      tasks.transact(() => [{ type: 'put', doc: { id: 'nope' } }]),
    ).rejects.toMatchObject({ code: 'VELLUM_VALIDATION' });
    expect(await tasks.count()).toBe(0);
  });
});

describe('index files', () => {
  it('finds a persisted index that drifted from the documents and rewrites it', async () => {
    const root = await freshDir();
    const first = await openTasks(root, {}, false);
    await first.put(task(1));
    await first.close();
    const { writeFile, readFile } = await import('node:fs/promises');
    const file = `${root}/tasks/index/by-status.json`;
    await writeFile(file, JSON.stringify({ pending: ['TASK-999-999'], completed: [task(1).id] }));
    const tasks = await openTasks(root);
    expect(tasks.report.indexDrift).toEqual(['status']);
    await tasks.flush();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ pending: [task(1).id] });
  });
});

describe('verifyIndexes', () => {
  it('compares persisted index files too', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root);
    await tasks.put(task(1));
    await tasks.flush();
    expect((await tasks.verifyIndexes()).status).toEqual({
      ok: true,
      missing: 0,
      extra: 0,
      file: 'ok',
    });
    expect((await tasks.verifyIndexes()).priority).toEqual({
      ok: true,
      missing: 0,
      extra: 0,
      file: 'none',
    });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${root}/tasks/index/by-status.json`, '{"pending": []}');
    expect((await tasks.verifyIndexes()).status).toEqual({
      ok: false,
      missing: 0,
      extra: 0,
      file: 'drift',
    });
    await writeFile(`${root}/tasks/index/by-status.json`, '{"pend');
    expect((await tasks.verifyIndexes()).status?.file).toBe('corrupt');
    await tasks.rebuildIndexes();
    expect((await tasks.verifyIndexes()).status?.ok).toBe(true);
  });
});

describe('checkpoint()', () => {
  it('does not rewrite a snapshot that is already current', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root);
    await tasks.put(task(1));
    const first = await tasks.checkpoint();
    const { stat } = await import('node:fs/promises');
    const before = await stat(`${root}/.vellum/tasks/snapshot.jsonl`);
    const again = await tasks.checkpoint();
    expect(again.seq).toBe(first.seq);
    expect((await stat(`${root}/.vellum/tasks/snapshot.jsonl`)).ino).toBe(before.ino);
    await tasks.put(task(2));
    await tasks.checkpoint();
    expect((await stat(`${root}/.vellum/tasks/snapshot.jsonl`)).ino).not.toBe(before.ino);
  });
});
