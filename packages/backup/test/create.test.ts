import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BackupUsageError,
  createBackup,
  listBackups,
  restoreBackup,
  verifyBackup,
  type BackupProgress,
} from '../src/index.js';
import { withLock } from '@vellum/atomic-io';
import { sha256 } from '../src/hash.js';
import { lastCommittedSeq, withJournalLock } from '../src/journal-tail.js';
import { History, allDocs, openTasks, task } from './fixtures.js';
import { fakeClock } from '@vellum/test-utils';
import { freshDir } from './helpers.js';

describe('createBackup', () => {
  it('writes checkpoints/YYYYMMDD_HHMMSS/ with every file and a manifest of sizes and SHA-256', async () => {
    const root = join(await freshDir(), '.ap-state');
    const tasks = await openTasks(root);
    for (let n = 1; n <= 5; n++) await tasks.put(task(n, n % 2 === 0 ? 'done' : 'pending'));
    await tasks.delete('TASK-005');
    const { seq } = await tasks.checkpoint();

    const created = await createBackup({
      root,
      collections: [tasks],
      kind: 'ap-state',
      now: fakeClock('2026-11-21T10:00:00Z'),
    });

    expect(created.id).toBe('20261121_100000');
    expect(created.path).toBe(join(root, 'checkpoints', '20261121_100000'));
    const { manifest } = created;
    expect(manifest).toMatchObject({
      format: 'vellum-backup',
      version: '1.0',
      id: '20261121_100000',
      timestamp: '2026-11-21T10:00:00.000Z',
      store: { kind: 'ap-state', root },
    });
    expect(manifest.collections).toEqual([
      {
        name: 'tasks',
        stateDir: '.vellum/tasks',
        journalDir: '.vellum/tasks/wal',
        seq,
        materializedSeq: seq,
        snapshotSeq: seq,
        checkpointSeq: seq,
      },
    ]);
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'tasks/active/TASK-001.json',
        'tasks/done/TASK-002.json',
        'tasks/active/TASK-003.json',
        'tasks/done/TASK-004.json',
        'indexes/by-status.json',
        '.vellum/tasks/checkpoint.json',
        '.vellum/tasks/snapshot.jsonl',
      ]),
    );
    expect(paths.some((p) => /^\.vellum\/tasks\/wal\/\d{8}\.wal$/.test(p))).toBe(true);
    expect(paths).not.toContain('tasks/active/TASK-005.json');
    expect(new Set(manifest.files.map((f) => f.role))).toEqual(
      new Set(['documents', 'indexes', 'state', 'journal']),
    );
    // The copies mirror the store, byte for byte, and the manifest says so.
    for (const file of manifest.files) {
      const copy = await readFile(join(created.path, file.path));
      expect(copy.equals(await readFile(join(root, file.path)))).toBe(true);
      expect({ size: copy.length, sha256: sha256(copy) }).toEqual({
        size: file.size,
        sha256: file.sha256,
      });
    }
    expect(manifest.totals).toEqual({
      files: manifest.files.length,
      bytes: manifest.files.reduce((sum, f) => sum + f.size, 0),
    });
    // Nothing but finished backups in checkpoints/.
    expect(await readdir(join(root, 'checkpoints'))).toEqual(['20261121_100000']);
    expect((await verifyBackup({ root }, created.id)).ok).toBe(true);
  });

  it('gives a second backup in the same second the name YYYYMMDD_HHMMSS-2', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root);
    await tasks.put(task(1));
    const now = fakeClock('2026-11-21T10:00:00Z');
    const first = await createBackup({ root, collections: [tasks], now });
    const second = await createBackup({ root, collections: [tasks], now });
    expect([first.id, second.id]).toEqual(['20261121_100000', '20261121_100000-2']);
    expect(second.manifest.id).toBe('20261121_100000-2');
    expect((await listBackups({ root })).map((b) => b.id)).toEqual([first.id, second.id]);
  });

  it('keeps backups in backupDir when given, and copies included files', async () => {
    const dir = await freshDir();
    const root = join(dir, 'store');
    const tasks = await openTasks(root);
    await tasks.put(task(1));
    await mkdir(join(root, 'metrics'), { recursive: true });
    await writeFile(join(root, 'metrics', 'ops.jsonl'), '{"op":"put"}\n');
    await writeFile(join(root, 'metrics', '.ops.jsonl.vellum-tmp-1-abc'), 'half');
    await writeFile(join(root, 'config.json'), '{}\n');
    const created = await createBackup({
      root,
      backupDir: join(dir, 'backups'),
      collections: [tasks],
      include: ['metrics', 'config.json'],
    });
    expect(created.path.startsWith(join(dir, 'backups', 'checkpoints'))).toBe(true);
    const extra = created.manifest.files.filter((f) => f.role === 'extra').map((f) => f.path);
    expect(extra.sort()).toEqual(['config.json', 'metrics/ops.jsonl']);
  });

  it('copies no lock: kernel lock files, lock directories and their owner files stay behind', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root);
    await tasks.put(task(1));
    const metrics = join(root, 'metrics');
    await mkdir(metrics, { recursive: true });
    await writeFile(join(metrics, 'ops.jsonl'), '{"op":"put"}\n');
    // A kernel lock's file, left (empty) once released, as every write leaves one.
    await withLock(join(metrics, 'ops.jsonl'), () => undefined);
    // The fallback's lock directory and an older Vellum's, with their owner files.
    for (const lock of ['a.json.lock.d', 'b.json.lock']) {
      await mkdir(join(metrics, lock));
      await writeFile(join(metrics, `${lock}.owner`), '{"pid":1,"hostname":"h"}');
    }
    await writeFile(join(metrics, 'b.json.lock', 'stray'), 'x');
    const lockFiles = (await readdir(root, { recursive: true })).filter((path) =>
      path.endsWith('.lock'),
    );
    // The store really holds lock files: the collection's own, and those made above.
    expect(lockFiles).toEqual(expect.arrayContaining(['metrics/ops.jsonl.lock']));
    expect(lockFiles.length).toBeGreaterThan(2);

    // The whole root, collections included: nothing under a lock's name is copied.
    const created = await createBackup({ root, collections: [tasks], include: ['.'] });
    const paths = created.manifest.files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining(['metrics/ops.jsonl', 'tasks/active/TASK-001.json']),
    );
    expect(paths.filter((path) => path.includes('.lock'))).toEqual([]);
    const copied = await readdir(created.path, { recursive: true });
    expect(copied.filter((path) => path.includes('.lock'))).toEqual([]);
    expect(await verifyBackup({ root }, created.id)).toMatchObject({
      ok: true,
      missing: [],
      extra: [],
      changed: [],
    });
  });

  it('refuses files outside the root and duplicate names, publishing nothing', async () => {
    const dir = await freshDir();
    const root = join(dir, 'store');
    const tasks = await openTasks(root, { stateDir: join(dir, 'elsewhere') });
    await tasks.put(task(1));
    await expect(createBackup({ root, collections: [tasks] })).rejects.toBeInstanceOf(
      BackupUsageError,
    );
    await expect(createBackup({ root, collections: [tasks, tasks] })).rejects.toBeInstanceOf(
      BackupUsageError,
    );
    await expect(createBackup({ root, collections: [], include: ['nope'] })).rejects.toThrow(
      /does not exist/,
    );
    expect(await readdir(join(root, 'checkpoints'))).toEqual([]);
  });

  it('reports progress by phase, ending at the totals', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root);
    for (let n = 1; n <= 20; n++) await tasks.put(task(n));
    const events: BackupProgress[] = [];
    const created = await createBackup({
      root,
      collections: [tasks],
      onProgress: (p) => events.push({ ...p }),
    });
    const copy = events.filter((e) => e.phase === 'copy');
    const last = copy.at(-1);
    expect(last).toEqual({
      phase: 'copy',
      files: created.manifest.totals.files,
      totalFiles: created.manifest.totals.files,
      bytes: created.manifest.totals.bytes,
      totalBytes: created.manifest.totals.bytes,
    });
    for (let i = 1; i < copy.length; i++) {
      expect(copy[i]?.files).toBeGreaterThanOrEqual(copy[i - 1]?.files ?? 0);
      expect(copy[i]?.bytes).toBeGreaterThanOrEqual(copy[i - 1]?.bytes ?? 0);
    }
    expect(events.filter((e) => e.phase === 'checkpoint').at(-1)).toMatchObject({
      files: 1,
      totalFiles: 1,
    });
  });

  it('leaves a killed create invisible, and the next create removes its work folder', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root);
    await tasks.put(task(1));
    // What a create killed mid-copy leaves: a work folder of a dead process, no manifest.
    const dead = join(root, 'checkpoints', '.creating-999999999-0123456789ab');
    await mkdir(join(dead, 'tasks', 'active'), { recursive: true });
    await writeFile(join(dead, 'tasks', 'active', 'TASK-001.json'), '{"id":');
    // A checkpoint folder with no manifest (spec 000's bash, or a copy by hand) is listed as unusable.
    await mkdir(join(root, 'checkpoints', '20261120_000000'), { recursive: true });
    expect(await listBackups({ root })).toEqual([
      expect.objectContaining({
        id: '20261120_000000',
        manifest: undefined,
        problem: 'no manifest.json',
      }),
    ]);
    const created = await createBackup({ root, collections: [tasks] });
    expect((await readdir(join(root, 'checkpoints'))).sort()).toEqual(
      ['20261120_000000', created.id].sort(),
    );
  });

  it('checkpoints a collection only when it has changed since its last snapshot', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root, { flushDelayMs: 3_600_000 });
    await tasks.put(task(1));
    let checkpoints = 0;
    const counted = {
      name: tasks.name,
      stateDir: tasks.stateDir,
      journalDir: tasks.journalDir,
      checkpoint: () => {
        checkpoints++;
        return tasks.checkpoint();
      },
      files: () => tasks.files(),
    };
    await createBackup({ root, collections: [counted] });
    await createBackup({ root, collections: [counted] });
    expect(checkpoints).toBe(1);
    await tasks.put(task(2));
    await createBackup({ root, collections: [counted] });
    expect(checkpoints).toBe(2);
  });

  it('with checkpoint: false, backs up the last snapshot and the journal since', async () => {
    const dir = await freshDir();
    const root = join(dir, 'store');
    const tasks = await openTasks(root, { flushDelayMs: 3_600_000 }, false);
    const history = new History(tasks);
    for (let n = 1; n <= 3; n++) await tasks.put(task(n));
    await tasks.checkpoint();
    const checkpointed = history.lastSeq;
    await tasks.put(task(4));
    await tasks.delete('TASK-001');
    const created = await createBackup({ root, collections: [tasks], checkpoint: false });
    expect(created.manifest.collections[0]).toMatchObject({
      seq: history.lastSeq,
      materializedSeq: checkpointed,
      snapshotSeq: checkpointed,
      checkpointSeq: checkpointed,
    });
    await tasks.close();
    await restoreBackup({ root }, created.id);
    const restored = await openTasks(root);
    expect(await allDocs(restored)).toEqual(history.at(history.lastSeq));
    await restored.close();
    // Every point from the snapshot on is reachable from this backup alone.
    await restoreBackup({ root }, created.id, { to: { seq: checkpointed + 1 } });
    const earlier = await openTasks(root);
    expect(await allDocs(earlier)).toEqual(history.at(checkpointed + 1));
  });

  it('copies again when the checkpoint changed during the copy', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root);
    const history = new History(tasks);
    for (let n = 1; n <= 5; n++) await tasks.put(task(n));
    let raced = false;
    // A writer that commits and materializes right after the first pass listed the files.
    const racing = {
      name: tasks.name,
      stateDir: tasks.stateDir,
      journalDir: tasks.journalDir,
      checkpoint: () => tasks.checkpoint(),
      files: async () => {
        const files = await tasks.files();
        if (!raced) {
          raced = true;
          await tasks.put(task(1, 'done', 1));
          await tasks.delete('TASK-002');
          await tasks.flush();
        }
        return files;
      },
    };
    const created = await createBackup({ root, collections: [racing] });
    expect(created.passes).toEqual({ tasks: 2 });
    const entry = created.manifest.collections[0];
    expect(entry?.materializedSeq).toBe(history.lastSeq);
    const paths = created.manifest.files.map((f) => f.path);
    expect(paths).toContain('tasks/done/TASK-001.json');
    expect(paths).not.toContain('tasks/active/TASK-001.json');
    expect(paths).not.toContain('tasks/active/TASK-002.json');
  });

  for (const [mode, unlockedPasses] of [
    ['write-through', 3],
    ['write-through', 0],
    ['write-behind', 3],
  ] as const) {
    it(`is consistent while a ${mode} writer keeps writing (unlocked passes: ${unlockedPasses})`, async () => {
      const dir = await freshDir();
      const root = join(dir, 'store');
      // Write-through: every write rewrites files and the checkpoint, racing the copy.
      const tasks = await openTasks(root, { mode, flushDelayMs: 1 }, false);
      const history = new History(tasks);
      for (let n = 1; n <= 30; n++) await tasks.put(task(n));
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing; i++) {
          const n = 1 + (i % 40);
          if (i % 7 === 3 && (await tasks.get(task(n).id)) !== undefined)
            await tasks.delete(task(n).id);
          else await tasks.put(task(n, i % 3 === 0 ? 'done' : 'active', i));
        }
      })();
      let created;
      try {
        created = await createBackup({
          root,
          backupDir: join(dir, 'backups'),
          collections: [tasks],
          unlockedPasses,
        });
      } finally {
        writing = false;
        await writer;
      }
      await tasks.close();
      const entry = created.manifest.collections[0];
      expect(entry).toBeDefined();
      if (entry === undefined) return;
      expect(entry.seq).toBeGreaterThanOrEqual(entry.materializedSeq);
      if (unlockedPasses === 0) expect(created.passes.tasks).toBe(1);

      const report = await restoreBackup({ root, backupDir: join(dir, 'backups') }, created.id);
      expect(report.collections).toEqual([{ name: 'tasks', seq: entry.seq, history: 'backup' }]);
      const restored = await openTasks(root);
      expect(restored.report.adopted).toEqual([]);
      expect(await allDocs(restored)).toEqual(history.at(entry.seq));
      await restored.close();
      // The files on disk agree with the documents.
      const reopened = await openTasks(root);
      expect(reopened.report.adopted).toEqual([]);
      expect(await allDocs(reopened)).toEqual(history.at(entry.seq));
      expect((await stat(join(root, 'checkpoints')).catch(() => undefined)) === undefined).toBe(
        true,
      );
    });
  }
});

describe('the lock a backup takes', () => {
  it('is the one collection writes take (Journal.exclusive)', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root);
    await tasks.put(task(1));
    let released = false;
    let taken!: () => void;
    const held = new Promise<void>((resolve) => (taken = resolve));
    const locking = withJournalLock(
      tasks.journalDir,
      async () => {
        taken();
        await new Promise((resolve) => setTimeout(resolve, 300));
        released = true;
      },
      undefined,
    );
    await held;
    await tasks.put(task(2));
    expect(released).toBe(true);
    await locking;
  });

  it('reads the last committed sequence from the journal tail, whatever the transaction sizes', async () => {
    const root = await freshDir();
    const tasks = await openTasks(root, { rotateBytes: 4_000 });
    const history = new History(tasks);
    for (let round = 0; round < 12; round++) {
      const size = 1 + ((round * 7) % 30);
      await tasks.batch(
        Array.from({ length: size }, (_, k) => ({
          type: 'put' as const,
          doc: task(1 + k, 'active', round),
        })),
      );
      expect(await lastCommittedSeq(tasks.journalDir)).toBeGreaterThanOrEqual(history.lastSeq);
      expect(await lastCommittedSeq(tasks.journalDir)).toBeLessThanOrEqual(history.lastSeq + 1);
    }
    // A transaction cut short at the end does not count; a torn line neither.
    const wal = tasks.journalDir;
    await tasks.close();
    const { listSegments } = await import('@vellum/journal');
    const newest = (await listSegments(wal)).at(-1)?.name ?? '';
    const before = await lastCommittedSeq(wal);
    const text = await readFile(join(wal, newest), 'utf8');
    const next = before + 1;
    const header = `{"seq":${next},"ts":"2026-11-21T10:00:00.000Z","op":"put","id":"X","tx":3}`;
    const { crc32 } = await import('node:zlib');
    const framed = (body: string): string =>
      `${body.slice(0, -1)},"crc":"${crc32(body.slice(0, -1)).toString(16).padStart(8, '0')}"}`;
    await writeFile(join(wal, newest), `${text}${framed(header)}\n{"seq":${next + 1},"ts`);
    expect(await lastCommittedSeq(wal)).toBe(before);
  });
});
