import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BackupCorruptError,
  BackupNotFoundError,
  BackupUsageError,
  HistoryMissingError,
  RestoreTargetError,
  createBackup,
  listBackups,
  recoverInterruptedRestore,
  restoreBackup,
  type BackupProgress,
} from '../src/index.js';
import { writeIntent } from '../src/interrupted.js';
import { History, allDocs, openTasks, task } from './fixtures.js';
import { fakeClock } from '@vellum/test-utils';
import { contents, freshDir } from './helpers.js';

/** Sequence number to time of every record in a journal's segments. */
async function journalTimes(wal: string): Promise<Map<number, string>> {
  const times = new Map<number, string>();
  for (const name of (await readdir(wal)).filter((n) => n.endsWith('.wal')).sort()) {
    for (const line of (await readFile(join(wal, name), 'utf8')).trim().split('\n')) {
      const record = JSON.parse(line) as { seq: number; ts: string };
      times.set(record.seq, record.ts);
    }
  }
  return times;
}

describe('restoreBackup', () => {
  it('restores the backup, keeps the current state aside intact, and keeps the backups', async () => {
    const dir = await freshDir();
    const root = join(dir, '.ap-state');
    const tasks = await openTasks(root, {}, false);
    const history = new History(tasks);
    for (let n = 1; n <= 6; n++) await tasks.put(task(n));
    await tasks.patch('TASK-002', { status: 'done' });
    const created = await createBackup({ root, collections: [tasks] });
    const atBackup = history.lastSeq;
    await tasks.put(task(7));
    await tasks.delete('TASK-001');
    await tasks.patch('TASK-003', { status: 'done' });
    await tasks.close();
    const before = await contents(root);

    const events: BackupProgress[] = [];
    const report = await restoreBackup({ root }, created.id, {
      now: () => new Date('2026-11-22T08:30:00Z'),
      onProgress: (p) => events.push(p),
    });

    expect(report).toMatchObject({
      id: created.id,
      root,
      movedAside: `${root}.backup.20261122_083000`,
      collections: [{ name: 'tasks', seq: atBackup, history: 'backup' }],
      files: created.manifest.totals.files,
      bytes: created.manifest.totals.bytes,
    });
    // Spec 000's `mv .ap-state .ap-state.backup.<timestamp>`: every byte still there.
    expect(await contents(`${root}.backup.20261122_083000`)).toEqual(
      Object.fromEntries(Object.entries(before).filter(([p]) => !p.startsWith('checkpoints/'))),
    );
    // The backups came back with the new root.
    expect((await listBackups({ root })).map((b) => b.id)).toEqual([created.id]);
    expect((await readdir(dir)).sort()).toEqual(['.ap-state', '.ap-state.backup.20261122_083000']);
    expect(events.filter((e) => e.phase === 'stage').at(-1)).toMatchObject({
      files: created.manifest.totals.files,
      totalFiles: created.manifest.totals.files,
    });

    const restored = await openTasks(root);
    expect(await allDocs(restored)).toEqual(history.at(atBackup));
    expect(restored.report.adopted).toEqual([]);
    expect(await readdir(join(root, 'tasks', 'active'))).toContain('TASK-001.json');
  });

  it('refuses a corrupt backup and changes nothing', async () => {
    const dir = await freshDir();
    const root = join(dir, 'store');
    const tasks = await openTasks(root);
    for (let n = 1; n <= 3; n++) await tasks.put(task(n));
    const created = await createBackup({ root, collections: [tasks] });
    await tasks.put(task(4));
    await tasks.close();
    const doc = join(created.path, 'tasks', 'active', 'TASK-002.json');
    const bytes = await readFile(doc);
    bytes[10] = (bytes[10] ?? 0) ^ 0x20;
    await writeFile(doc, bytes);
    const before = await contents(dir);

    const error = await restoreBackup({ root }, created.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackupCorruptError);
    expect(error).toMatchObject({
      code: 'VELLUM_BACKUP_CORRUPT',
      files: ['tasks/active/TASK-002.json'],
    });
    expect(await contents(dir)).toEqual(before);
    expect(await readdir(dir)).toEqual(['store']);
  });

  it('replays past the backup to a sequence number, from the current journal', async () => {
    const dir = await freshDir();
    const root = join(dir, 'store');
    const tasks = await openTasks(root, {}, false);
    const history = new History(tasks);
    for (let n = 1; n <= 4; n++) await tasks.put(task(n));
    const created = await createBackup({ root, collections: [tasks] });
    await tasks.put(task(5));
    await tasks.patch('TASK-001', { status: 'done' });
    const target = history.lastSeq;
    await tasks.delete('TASK-002');
    await tasks.put(task(6));
    await tasks.close();

    const report = await restoreBackup({ root }, created.id, { to: { seq: target } });
    expect(report.collections).toEqual([{ name: 'tasks', seq: target, history: 'backup+current' }]);
    // No lock directory or cut-off copies left in the restored journal: segments, and the
    // journal's kernel lock file (taken while it was cut to the target), which stays as all do.
    const wal = join(root, '.vellum', 'tasks', 'wal');
    const left = (await readdir(wal, { withFileTypes: true })).filter(
      (entry) => !(entry.isFile() && entry.name === 'journal.lock'),
    );
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((e) => e.isFile() && /^\d{8}(\.\d+)?\.wal$/.test(e.name))).toBe(true);
    const restored = await openTasks(root);
    expect(await allDocs(restored)).toEqual(history.at(target));
    // Writing goes on from there.
    await restored.put(task(9));
    expect((await restored.get('TASK-009'))?.n).toBe(9);
  });

  it('replays to a point in time', async () => {
    const dir = await freshDir();
    const root = join(dir, 'store');
    // Each journal append reads the clock: one minute per transaction.
    const tasks = await openTasks(root, { now: fakeClock('2026-11-21T10:00:00Z', 60_000) }, false);
    const history = new History(tasks);
    for (let n = 1; n <= 3; n++) await tasks.put(task(n));
    const created = await createBackup({
      root,
      collections: [tasks],
      now: () => new Date('2026-11-21T10:30:00Z'),
    });
    for (let n = 4; n <= 8; n++) await tasks.put(task(n));
    await tasks.close();
    // The third write after the backup, and the time the journal gave it.
    const times = await journalTimes(join(root, '.vellum', 'tasks', 'wal'));
    const [pickSeq, pickTs] = [...times].filter(([seq]) => seq > history.seqAt(3))[2] ?? [0, ''];
    // Half a minute after that transaction: it is in, the next one is not.
    const time = new Date(Date.parse(pickTs) + 30_000);
    const report = await restoreBackup({ root }, created.id, { to: { time } });
    expect(report.collections[0]).toMatchObject({ seq: pickSeq, history: 'backup+current' });
    const restored = await openTasks(root);
    expect(await allDocs(restored)).toEqual(history.at(pickSeq));
  });

  it('refuses a target before the backup, and history that was compacted away', async () => {
    const dir = await freshDir();
    const root = join(dir, 'store');
    const tasks = await openTasks(root, { journalRetention: 'compact', rotateBytes: 300 }, false);
    for (let n = 1; n <= 4; n++) await tasks.put(task(n));
    const created = await createBackup({ root, collections: [tasks] });
    const entry = created.manifest.collections[0];
    if (entry === undefined) throw new Error('no entry');
    for (let n = 5; n <= 12; n++) await tasks.put(task(n));
    // A snapshot now compacts the sealed segments, the backup's newest among them.
    await tasks.checkpoint();
    await tasks.close();
    const before = await contents(dir);

    await expect(
      restoreBackup({ root }, created.id, { to: { seq: entry.materializedSeq - 1 } }),
    ).rejects.toBeInstanceOf(RestoreTargetError);
    await expect(
      restoreBackup({ root }, created.id, { to: { time: new Date('2000-01-01T00:00:00Z') } }),
    ).rejects.toMatchObject({ code: 'VELLUM_BACKUP_TARGET', earliestSeq: entry.materializedSeq });
    const missing = await restoreBackup({ root }, created.id, {
      to: { seq: entry.seq + 3 },
    }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(HistoryMissingError);
    expect((missing as HistoryMissingError).reason).toMatch(/compacted/);
    await expect(
      restoreBackup({ root }, created.id, { to: { seq: { other: 3 } } }),
    ).rejects.toBeInstanceOf(BackupUsageError);
    await expect(restoreBackup({ root }, '20200101_000000')).rejects.toBeInstanceOf(
      BackupNotFoundError,
    );
    expect(await contents(dir)).toEqual(before);
    // Within the backup's own journal, a target is fine.
    const report = await restoreBackup({ root }, created.id, { to: { seq: entry.seq } });
    expect(report.collections[0]).toMatchObject({ seq: entry.seq, history: 'backup' });
  });

  it('refuses to replay onto a journal with another history', async () => {
    const dir = await freshDir();
    const root = join(dir, 'store');
    const tasks = await openTasks(root, {}, false);
    await tasks.put(task(1));
    const older = await createBackup({ root, collections: [tasks] });
    await tasks.put(task(2));
    const newer = await createBackup({ root, collections: [tasks] });
    await tasks.close();
    // Back to the older backup, then a different second write: a history that forks from the newer backup's.
    await restoreBackup({ root }, older.id);
    const forked = await openTasks(root, {}, false);
    await forked.put(task(3));
    await forked.close();
    const before = await contents(dir);
    const error = await restoreBackup({ root }, newer.id, { to: { seq: 1_000 } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HistoryMissingError);
    expect((error as HistoryMissingError).reason).toMatch(/does not continue/);
    expect(await contents(dir)).toEqual(before);
    // The newer backup's own history is still there to restore.
    const report = await restoreBackup({ root }, newer.id, { to: { seq: 2 } });
    expect(report.collections[0]).toMatchObject({ seq: 2, history: 'backup' });
  });

  it('restores into a folder that does not exist, from backups kept elsewhere', async () => {
    const dir = await freshDir();
    const root = join(dir, 'store');
    const backupDir = join(dir, 'backups');
    const tasks = await openTasks(root, {}, false);
    await tasks.put(task(1));
    await tasks.put(task(2, 'done'));
    const created = await createBackup({ root, backupDir, collections: [tasks] });
    await tasks.close();
    const target = join(dir, 'new-machine', 'store');
    const report = await restoreBackup({ root: target, backupDir }, created.id);
    expect(report.movedAside).toBeNull();
    const restored = await openTasks(target);
    expect((await allDocs(restored)).map((t) => t.id)).toEqual(['TASK-001', 'TASK-002']);
  });

  it('finishes a restore that a crash interrupted between its renames', async () => {
    const dir = await freshDir();
    const root = join(dir, 'store');
    await mkdir(join(root, 'checkpoints', '20261121_100000'), { recursive: true });
    await writeFile(join(root, 'checkpoints', '20261121_100000', 'manifest.json'), '{}');
    await writeFile(join(root, 'old.json'), 'old');
    const staging = join(dir, '.store.restoring-999999999-0123456789ab');
    await mkdir(staging);
    await writeFile(join(staging, 'new.json'), 'new');
    const aside = `${root}.backup.20261122_000000`;
    await writeIntent({ root, staging, aside, checkpoints: 'checkpoints' });
    // The crash came after the first rename; then a program started a new, empty store.
    await rename(root, aside);
    await mkdir(join(root, '.vellum'), { recursive: true });

    const done = await recoverInterruptedRestore({ root });
    expect(done).toEqual({ root, movedAside: aside });
    expect(await contents(root)).toEqual({
      'checkpoints/20261121_100000/manifest.json': expect.any(String) as string,
      'new.json': expect.any(String) as string,
    });
    expect(await readFile(join(aside, 'old.json'), 'utf8')).toBe('old');
    const entries = (await readdir(dir)).sort();
    // The store a program made in the meantime is kept aside too, not deleted.
    expect(entries).toHaveLength(3);
    expect(entries.filter((n) => n.startsWith('store.backup.'))).toHaveLength(2);
    expect(await recoverInterruptedRestore({ root })).toBeNull();
    expect(dirname(aside)).toBe(dir);
  });
});
