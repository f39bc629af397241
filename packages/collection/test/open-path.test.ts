import { existsSync } from 'node:fs';
import { readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { deadPid } from '@vellum/test-utils';
import { describe, expect, it } from 'vitest';
import { openTasks, task, ticketLayout } from './fixtures.js';
import { freshDir, tree } from './helpers.js';

const STATE = '.vellum/tasks';

async function fileTimes(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const file of await tree(root)) {
    const info = await stat(join(root, file));
    out.set(file, `${info.mtimeMs}:${info.size}:${await readFile(join(root, file), 'utf8')}`);
  }
  return out;
}

describe('opening a store', () => {
  it('leaves every file untouched when it only reads (no checkpoint rewrite at open or close)', async () => {
    const root = await freshDir();
    const writer = await openTasks(root, {}, false);
    for (let n = 0; n < 20; n++) await writer.put(task(n));
    await writer.close();
    const before = await fileTimes(root);
    const reader = await openTasks(root, {}, false);
    expect(await reader.get(task(4).id)).toEqual(task(4));
    expect((await reader.query({ where: { status: 'pending' } })).total).toBe(20);
    expect((await reader.search('billing')).total).toBe(10);
    await reader.close();
    expect(await fileTimes(root)).toEqual(before);
  });

  it('keeps the secondary indexes in the snapshot and loads them while the definition is the same', async () => {
    const root = await freshDir();
    const writer = await openTasks(root, {}, false);
    for (let n = 0; n < 30; n++) await writer.put(task(n));
    await writer.close();
    const snapshot = (await readFile(join(root, STATE, 'snapshot.jsonl'), 'utf8')).split('\n');
    const header = JSON.parse(snapshot[0] ?? '') as {
      format: number;
      count: number;
      indexes: number;
    };
    expect(header).toMatchObject({ format: 2, count: 30, indexes: 5 });
    expect(JSON.parse(snapshot[31] ?? '')).toMatchObject({ index: 'status' });

    const same = await openTasks(root);
    expect((await same.query({ where: { story: 'STORY-2' } })).items.map((t) => t.id)).toEqual(
      [2, 7, 12, 17, 22, 27].map((n) => task(n).id).sort(),
    );
    expect(Object.values(await same.verifyIndexes()).every((report) => report.ok)).toBe(true);
    await same.close();

    // Same index name, another key: the persisted entries must not be used.
    const changed = await openTasks(root, {
      indexes: { story: { key: (t) => t.metadata.persona } },
    });
    expect((await changed.query({ where: { story: 'p1' } })).total).toBe(10);
    expect((await changed.query({ where: { story: 'STORY-2' } })).total).toBe(0);
  });

  it('reuses a kept index across builds by its version, and rebuilds it when the version changes', async () => {
    const root = await freshDir();
    const layout = { layout: ticketLayout() };
    const writer = await openTasks(
      root,
      { ...layout, indexes: { status: { key: (t) => t.status, version: 1 } } },
      false,
    );
    await writer.batch(Array.from({ length: 100 }, (_, n) => ({ type: 'put', doc: task(n) })));
    await writer.close();
    let calls = 0;
    // Printed differently, as another bundler would: the version says it is the same function.
    const counted = (task: { status: string }): string => {
      calls++;
      return task.status;
    };
    const same = await openTasks(root, {
      ...layout,
      indexes: { status: { key: counted, version: 1 } },
    });
    expect((await same.query({ where: { status: 'pending' } })).total).toBe(100);
    expect(calls).toBeLessThanOrEqual(32);
    await same.close();
    calls = 0;
    const bumped = await openTasks(root, {
      ...layout,
      indexes: { status: { key: counted, version: 2 } },
    });
    expect((await bumped.query({ where: { status: 'pending' } })).total).toBe(100);
    expect(calls).toBeGreaterThanOrEqual(100);
  });

  it('with repairIndexFiles false, reports a drifted index file and leaves it as it is', async () => {
    const root = await freshDir();
    const writer = await openTasks(root, {}, false);
    for (let n = 0; n < 5; n++) await writer.put(task(n));
    await writer.close();
    const file = join(root, 'tasks/index/by-status.json');
    const edited = '{"blocked": ["TASK-002-001"]}\n';
    await writeFile(file, edited);
    const checker = await openTasks(root, { repairIndexFiles: false }, false);
    expect(checker.report.indexDrift).toEqual(['status']);
    expect((await checker.verifyIndexes()).status).toMatchObject({ ok: false, file: 'drift' });
    await checker.close();
    expect(await readFile(file, 'utf8')).toBe(edited);
    const healer = await openTasks(root, {}, false);
    expect(healer.report.indexDrift).toEqual(['status']);
    await healer.close();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      pending: [0, 1, 2, 3, 4].map((n) => task(n).id).sort(),
    });
  });

  it('adopts a hand edit of one document made while open, when a flush writes another', async () => {
    const root = await freshDir();
    const writer = await openTasks(root, {}, false);
    await writer.put(task(1));
    await writer.put(task(2));
    await writer.flush();
    const file = join(root, 'tasks/active', `${task(1).id}.json`);
    await writeFile(file, JSON.stringify({ ...task(1), content: 'edited by hand' }));
    await writer.patch(task(2).id, { content: 'written by the store' });
    await writer.flush();
    expect((await writer.get(task(1).id))?.content).toBe('edited by hand');
    await writer.close();
    const reopened = await openTasks(root);
    expect((await reopened.get(task(1).id))?.content).toBe('edited by hand');
  });

  it('refuses a document whose text the snapshot no longer has (the file was cut while open)', async () => {
    const root = await freshDir();
    const layout = { layout: ticketLayout() };
    const writer = await openTasks(root, layout, false);
    await writer.batch(Array.from({ length: 100 }, (_, n) => ({ type: 'put', doc: task(n) })));
    await writer.close();
    const reader = await openTasks(root, layout);
    await truncate(join(root, STATE, 'snapshot.jsonl'), 200);
    // The second document: not among those opening sampled (and so read) to check the indexes.
    await expect(reader.get(task(1).id)).rejects.toMatchObject({ code: 'VELLUM_CORRUPT_FILE' });
  });

  it('refuses a snapshot whose bytes changed, keeps it aside and rebuilds from files and journal', async () => {
    const root = await freshDir();
    const writer = await openTasks(root, {}, false);
    for (let n = 0; n < 10; n++) await writer.put(task(n));
    await writer.close();
    const path = join(root, STATE, 'snapshot.jsonl');
    const text = await readFile(path, 'utf8');
    // Still valid JSON, same length: only the checksum can tell.
    await writeFile(path, text.replace('"status":"pending"', '"status":"blocked"'));
    const reopened = await openTasks(root);
    expect(reopened.report.quarantined.map((q) => q.file)).toEqual([path]);
    expect((await reopened.query({ where: { status: 'blocked' } })).total).toBe(0);
    expect(await reopened.count()).toBe(10);
  });

  it('reads a format 1 snapshot (no checksum, no indexes) written by an earlier version', async () => {
    const root = await freshDir();
    const writer = await openTasks(root, {}, false);
    for (let n = 0; n < 5; n++) await writer.put(task(n));
    await writer.close();
    const path = join(root, STATE, 'snapshot.jsonl');
    const lines = (await readFile(path, 'utf8')).split('\n');
    const header = JSON.parse(lines[0] ?? '') as { seq: number };
    const docs = lines.slice(1, 6);
    await writeFile(
      path,
      `${JSON.stringify({ format: 1, seq: header.seq, count: 5 })}\n${docs.join('\n')}\n`,
    );
    const reopened = await openTasks(root);
    expect(reopened.report.quarantined).toEqual([]);
    expect(await reopened.get(task(3).id)).toEqual(task(3));
    expect((await reopened.query({ where: { status: 'pending' } })).total).toBe(5);
  });

  it('seals a large journal segment at the snapshot, so the next open skips it, and keeps counting', async () => {
    const root = await freshDir();
    // One file for all documents: 4,000 per-document files would only add fsyncs.
    const layout = { layout: ticketLayout() };
    const writer = await openTasks(root, layout, false);
    const docs = Array.from({ length: 4000 }, (_, n) => task(n, { id: `TASK-001-${n + 1000}` }));
    const [first] = await writer.batch(docs.map((doc) => ({ type: 'put', doc })));
    await writer.close();
    const wal = join(root, STATE, 'wal');
    const segments = (await readdir(wal)).filter((name) => name.endsWith('.wal'));
    expect(segments).toHaveLength(1);
    const sealed = await readFile(join(wal, segments[0] ?? ''), 'utf8');
    expect(sealed.trimEnd().split('\n').at(-1)).toContain('"op":"$seal"');

    const again = await openTasks(root, layout, false);
    expect(await again.count()).toBe(4000);
    const { revision } = await again.put(task(1, { id: 'TASK-009-001' }));
    expect(revision).toBeGreaterThan((first?.revision ?? 0) + 4000);
    await again.close();
    const third = await openTasks(root, layout);
    expect(await third.count()).toBe(4001);
    expect((await third.getEntry('TASK-009-001'))?.revision).toBe(revision);
    // The second snapshot covers the sealed segment: compaction removed it.
    expect((await readdir(wal)).filter((name) => name.endsWith('.wal'))).not.toContain(segments[0]);
  });
});

describe('temp files of killed writers next to the index files', () => {
  const tempOf = (file: string, pid: number): string =>
    join(dirname(file), `.${basename(file)}.vellum-tmp-${pid}-0123456789ab`);

  it('are removed by the open and by a flush, in the folders of the index files and of the full-text index; a live writer keeps its own', async () => {
    const root = await freshDir();
    const fullText = { fields: [{ name: 'content' as const }], file: 'search/tasks.json' };
    const writer = await openTasks(root, { fullText }, false);
    await writer.put(task(1));
    await writer.close();
    const byStatus = join(root, 'tasks', 'index', 'by-status.json');
    const search = join(root, 'search', 'tasks.json');
    const leftovers = [tempOf(byStatus, deadPid()), tempOf(search, deadPid())];
    const live = tempOf(byStatus, process.pid);
    for (const file of [...leftovers, live]) await writeFile(file, '{"pending": [');

    const tasks = await openTasks(root, { fullText });
    for (const file of leftovers) expect(existsSync(file), file).toBe(false);
    expect(existsSync(live)).toBe(true);
    // One left while the collection is open goes at the next flush, with nothing to write.
    const late = tempOf(join(root, 'tasks', 'index', 'by-story.json'), deadPid());
    await writeFile(late, '{');
    await tasks.flush();
    expect(existsSync(late)).toBe(false);
    expect(JSON.parse(await readFile(byStatus, 'utf8'))).toEqual({ pending: [task(1).id] });
  });
});
