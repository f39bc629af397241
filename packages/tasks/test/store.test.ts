import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { withLock } from '@vellum/atomic-io';
import { CollectionClosedError } from '@vellum/collection';
import { describe, expect, it } from 'vitest';
import { TASK_STORE_COLLECTIONS, TaskStore } from '../src/index.js';
import { contents, fixtureCopy, freshDir, open } from './helpers.js';

const at = new Date('2026-11-21T12:00:00Z');
const clock = { now: () => at };
const OTHERS = TASK_STORE_COLLECTIONS.filter((name) => name !== 'tasks');

/** The collections whose state (journal folder or `.vellum/<name>`) exists under `root`. */
async function withState(root: string): Promise<string[]> {
  const names = new Set<string>();
  for (const dir of ['wal', '.vellum']) {
    const entries = await readdir(join(root, dir)).catch(() => []);
    for (const name of entries) names.add(name);
  }
  return [...names].sort();
}

describe('collections open on first use', () => {
  it('a store used only for tasks creates and opens nothing of the other collections', async () => {
    const root = join(await freshDir(), '.ap-state');
    const store = await open(root, clock);
    expect(await withState(root)).toEqual([]);
    const task = await store.tasks.create({ story: 1, content: 'only tasks' });
    expect(await store.tasks.require(task.id)).toEqual(task);
    expect(Object.keys(store.report)).toEqual(['tasks']);
    await store.close();
    expect(await withState(root)).toEqual(['tasks']);
    for (const name of OTHERS) {
      expect(existsSync(join(root, 'wal', name))).toBe(false);
      expect(existsSync(join(root, '.vellum', name))).toBe(false);
    }

    // reading tasks again, in a store with files of the others, leaves their state alone
    const again = await open(root, clock);
    await again.integrations.register({
      type: 'reporting',
      source: { type: 'persona', name: 'sm' },
      target: { type: 'tool', name: 'x' },
    });
    await again.close();
    const before = await contents(join(root, '.vellum', 'integrations'));
    const reader = await open(root, clock);
    expect((await reader.tasks.list()).total).toBe(1);
    expect(Object.keys(reader.report)).toEqual(['tasks']);
    await reader.close();
    expect(await contents(join(root, '.vellum', 'integrations'))).toEqual(before);
    expect(await withState(root)).toEqual(['integrations', 'tasks']);
  });

  it('callers asking at once share one open; collections() opens the rest, in order', async () => {
    const root = await fixtureCopy();
    const store = await open(root, clock);
    const opened = await Promise.all([
      store.tasks.collection(),
      store.tasks.collection(),
      store.tasks.get('TASK-001-001').then(() => store.tasks.collection()),
    ]);
    expect(new Set(opened).size).toBe(1);
    // one open, so one import of the fixture's three tasks
    expect(store.report.tasks?.imported).toBe(3);
    const all = await store.collections();
    expect(all.map((c) => c.name)).toEqual(TASK_STORE_COLLECTIONS);
    expect(all[0]).toBe(opened[0]);
    expect(Object.keys(store.report)).toEqual(TASK_STORE_COLLECTIONS);
  });

  it('a failed open is tried again on the next use; after close() every use fails', async () => {
    const root = join(await freshDir(), '.ap-state');
    const store = await open(root, { ...clock, lockTimeout: 200 });
    await mkdir(join(root, 'wal', 'tasks'), { recursive: true });
    // Opening a collection takes its journal's lock: held elsewhere, the open times out.
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = (): void => undefined;
    const isHeld = new Promise<void>((resolve) => (held = resolve));
    const holder = withLock(
      join(root, 'wal', 'tasks', 'journal'),
      async () => {
        held();
        await released;
      },
      { lockTimeout: 5_000 },
    );
    await isHeld;
    const failed = await store.tasks.get('TASK-001-001').catch((error: unknown) => error);
    release();
    await holder;
    expect(failed).toMatchObject({ code: 'VELLUM_LOCK_TIMEOUT' });
    expect(store.report).toEqual({});
    expect(await store.tasks.get('TASK-001-001')).toBeUndefined();
    expect(Object.keys(store.report)).toEqual(['tasks']);
    await store.close();
    await expect(store.tasks.get('TASK-001-001')).rejects.toBeInstanceOf(CollectionClosedError);
    await expect(store.sessions.list()).rejects.toBeInstanceOf(CollectionClosedError);
    expect(await withState(root)).toEqual(['tasks']);
  });

  it('close() waits for an open under way and closes it', async () => {
    const root = join(await freshDir(), '.ap-state');
    const store = await TaskStore.open({ root, ...clock });
    const using = store.workflows.list();
    await store.close();
    // The open began before close(): it completes, and close() released it.
    expect((await using).items).toEqual([]);
    const other = await TaskStore.open({ root, ...clock, lockTimeout: 500 });
    expect((await other.workflows.list()).total).toBe(0);
    await other.close();
  });
});

describe('metrics', () => {
  const metricsFile = (root: string): string =>
    join(root, 'metrics', `${at.toISOString().slice(0, 10)}.jsonl`);

  it("'on-close' writes the operations' metrics at close, or nothing when discarded", async () => {
    const root = join(await freshDir(), '.ap-state');
    // discarded: no metrics folder at all
    const failed = await open(root, { ...clock, metrics: 'on-close' });
    await failed.tasks.create({ story: 1, content: 'first' });
    await failed.close({ discardMetrics: true });
    expect(existsSync(join(root, 'metrics'))).toBe(false);

    const kept = await open(root, { ...clock, metrics: 'on-close' });
    await kept.tasks.get('TASK-001-001');
    expect(existsSync(join(root, 'metrics'))).toBe(false);
    await kept.close();
    const lines = (await readFile(metricsFile(root), 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { operation: string }).operation)).toContain('get');
  });
});

describe('temp files of killed writers', () => {
  // Above Linux's largest pid (2^22): never a live process.
  const DEAD_PID = 4_194_305;
  const tempOf = (file: string): string =>
    join(dirname(file), `.${basename(file)}.vellum-tmp-${DEAD_PID}-0123456789ab`);

  it('opening a collection and flushing remove those in the folders of its index files and in the root', async () => {
    const root = await freshDir();
    const first = await open(root, clock);
    await first.tasks.create({ story: 1, content: 'x' });
    await first.close();
    const byStatus = join(root, 'tasks', 'index', 'by-status.json');
    const leftovers = [tempOf(byStatus), tempOf(join(root, 'version'))];
    for (const file of leftovers) await writeFile(file, '{"pending": [');
    const store = await open(root, clock);
    await store.tasks.collection();
    for (const file of leftovers) expect(existsSync(file), file).toBe(false);
    // one left while the store is open goes at the next flush
    const late = tempOf(join(root, 'tasks', 'index', 'by-story.json'));
    await writeFile(late, '{');
    await store.flush();
    expect(existsSync(late)).toBe(false);
    expect(JSON.parse(await readFile(byStatus, 'utf8'))).toEqual({ pending: ['TASK-001-001'] });
  });
});

describe('verifyIndexes', () => {
  it('counts an index file found drifted at open as drift, naming the file', async () => {
    const root = await fixtureCopy();
    const first = await open(root, clock);
    await first.tasks.collection(); // imports the fixture, writes the index files
    await first.close();
    const byStatus = join(root, 'tasks', 'index', 'by-status.json');
    await writeFile(byStatus, '{"pending": ["TASK-001-001"]}\n');
    const store = await open(root, clock);
    const report = await store.verifyIndexes();
    expect(Object.keys(report)).toEqual(TASK_STORE_COLLECTIONS);
    expect(report.tasks?.status).toMatchObject({ ok: false, file: 'drift', path: byStatus });
    expect(report.tasks?.priority).toMatchObject({ ok: true, file: 'ok' });
    expect(report.tasks?.storyNumber).toMatchObject({ ok: true, file: 'none', path: undefined });
  });
});
