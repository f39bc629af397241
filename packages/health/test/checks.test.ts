import { appendFile, chmod, mkdir, readFile, statfs, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LOCK_MECHANISM_ENV, withLock } from '@vellum/atomic-io';
import { Journal, encodeRecord, listSegments } from '@vellum/journal';
import { deadPid } from '@vellum/test-utils';
import { describe, expect, it } from 'vitest';
import {
  backupsCheck,
  checkHealth,
  diskCheck,
  indexesCheck,
  journalCheck,
  locksCheck,
  recoveryCheck,
  tempFilesCheck,
  writableCheck,
  type HealthCheck,
  type HealthOptions,
  type HealthReport,
  type HealthSource,
} from '../src/index.js';
import { asUnprivileged, cleanStore, freshDir, onCleanup, tree } from './helpers.js';

const NOW = new Date('2026-11-21T10:00:00Z');

/** Runs one check. Times on disk are real: only the backup tests pin the clock. */
function run(check: HealthCheck, options: Omit<HealthOptions, 'checks'>): Promise<HealthReport> {
  return checkHealth({ ...options, checks: [check] });
}

function codes(report: HealthReport): string[] {
  return report.issues.map((issue) => issue.code);
}

describe('writable', () => {
  it('reports a read-only directory, found by a real write', async () => {
    const root = await freshDir();
    await chmod(root, 0o555);
    const report = await asUnprivileged(() => run(writableCheck, { root }));
    expect(report.status).toBe('failing');
    expect(report.issues).toEqual([
      expect.objectContaining({ code: 'dir_not_writable', severity: 'error', path: root }),
    ]);
    expect(report.issues[0]?.message).toContain('EACCES');
    await chmod(root, 0o755);
    expect(await tree(root)).toEqual([]);
  });

  it('reports a root that is missing or is a file', async () => {
    const dir = await freshDir();
    const file = join(dir, 'store');
    await writeFile(file, 'not a folder');
    const asFile = await run(writableCheck, { root: file });
    expect(asFile.issues).toEqual([
      expect.objectContaining({ code: 'dir_missing', severity: 'error', path: file }),
    ]);
    expect(asFile.issues[0]?.message).toContain('is not a directory');
    const missing = await run(writableCheck, { root: join(dir, 'nowhere') });
    expect(codes(missing)).toEqual(['dir_missing']);
    expect(missing.issues[0]?.message).toContain('ENOENT');
  });

  it('probes every collection folder, and leaves nothing behind', async () => {
    const { root, tasks } = await cleanStore();
    const before = await tree(root);
    const report = await run(writableCheck, { root, collections: [tasks] });
    expect(report.status).toBe('ok');
    expect(report.checks.writable?.details).toEqual({
      dirs: [root, tasks.stateDir, tasks.journalDir],
    });
    expect(await tree(root)).toEqual(before);
  });
});

describe('disk', () => {
  it('warns below minFreeBytes and fails below criticalFreeBytes', async () => {
    const root = await freshDir();
    const fs = await statfs(root);
    const free = fs.bavail * fs.bsize;
    const ok = await run(diskCheck, {
      root,
      thresholds: { minFreeBytes: 0, criticalFreeBytes: 0 },
    });
    expect(ok.status).toBe('ok');
    // Thresholds above what is free: the low-disk condition, without filling a disk.
    const low = await run(diskCheck, {
      root,
      thresholds: { minFreeBytes: free * 2 + 2 ** 40, criticalFreeBytes: 0 },
    });
    expect(low.status).toBe('degraded');
    expect(low.issues).toEqual([
      expect.objectContaining({ code: 'disk_low', severity: 'warning', path: root }),
    ]);
    const critical = await run(diskCheck, {
      root,
      thresholds: { minFreeBytes: free * 2 + 2 ** 40, criticalFreeBytes: free * 2 + 2 ** 40 },
    });
    expect(critical.status).toBe('failing');
    expect(codes(critical)).toEqual(['disk_critical']);
  });

  it('reports each file system once', async () => {
    const { root, tasks } = await cleanStore();
    const report = await run(diskCheck, {
      root,
      collections: [tasks],
      thresholds: { minFreeBytes: 0, criticalFreeBytes: 0 },
    });
    expect(report.checks.disk?.details.devices).toHaveLength(1);
  });
});

describe('indexes', () => {
  it('reports drift between an index and the documents', async () => {
    const { root, tasks } = await cleanStore();
    expect((await run(indexesCheck, { root, collections: [tasks] })).status).toBe('ok');
    // Another tool (or a hand edit) rewrites a persisted index with ids that do not match.
    await writeFile(join(root, 'tasks/index/by-status.json'), '{"completed": ["TASK-001-002"]}\n');
    const report = await run(indexesCheck, { root, collections: [tasks] });
    expect(report.status).toBe('failing');
    expect(report.issues).toEqual([
      expect.objectContaining({ code: 'index_drift', severity: 'error' }),
    ]);
    expect(report.issues[0]?.message).toContain('index "status"');
    expect(report.issues[0]?.message).toContain('disagrees with the documents');
  });

  it('reports a persisted index file that no longer parses', async () => {
    const { root, tasks } = await cleanStore();
    const file = join(root, 'tasks/index/by-status.json');
    const text = await readFile(file, 'utf8');
    await writeFile(file, text.slice(0, Math.floor(text.length / 2)));
    const report = await run(indexesCheck, { root, collections: [tasks] });
    expect(report.status).toBe('degraded');
    expect(report.issues).toEqual([
      expect.objectContaining({ code: 'index_file_corrupt', severity: 'warning', path: file }),
    ]);
    await writeFile(file, '[1, 2]\n');
    const notObject = await run(indexesCheck, { root, collections: [tasks] });
    expect(notObject.issues[0]?.message).toContain('not a JSON object');
  });
});

describe('journal', () => {
  async function newestSegment(dir: string): Promise<string> {
    const newest = (await listSegments(dir)).at(-1);
    if (newest === undefined) throw new Error('no segment');
    return join(dir, newest.name);
  }

  it('reports a torn tail: half a line at the end of the newest segment', async () => {
    const { root, tasks } = await cleanStore();
    await tasks.close();
    const segment = await newestSegment(tasks.journalDir);
    await appendFile(segment, '{"seq":4,"ts":"2026-11-21T10:0');
    const report = await run(journalCheck, {
      root,
      journalDirs: [tasks.journalDir],
      thresholds: { journalSettleMs: 20 },
    });
    expect(report.status).toBe('degraded');
    expect(report.issues).toEqual([
      expect.objectContaining({ code: 'journal_torn_tail', severity: 'warning', path: segment }),
    ]);
    expect(report.issues[0]?.message).toContain('line 4 (incomplete-line)');
    // Reporting is all it does: the tail is still there for the next writer to move aside.
    expect(await readFile(segment, 'utf8')).toMatch(/T10:0$/);
  });

  it('does not report an append that completes while it looks', async () => {
    const { root, tasks } = await cleanStore();
    await tasks.close();
    const segment = await newestSegment(tasks.journalDir);
    const line = encodeRecord(
      { seq: 4, ts: NOW.toISOString(), op: 'put', id: 'TASK-001-004', data: { n: 4 } },
      segment,
    );
    await appendFile(segment, line.slice(0, 20));
    const finishing = sleep(20).then(() => appendFile(segment, `${line.slice(20)}\n`));
    const report = await run(journalCheck, {
      root,
      journalDirs: [tasks.journalDir],
      thresholds: { journalSettleMs: 800 },
    });
    await finishing;
    expect(report.issues).toEqual([]);
    expect(report.checks.journal?.details).toMatchObject({ journals: [{ lastSeq: 4 }] });
  });

  it('reports corruption in the middle of the newest segment: one flipped byte', async () => {
    const { root, tasks } = await cleanStore();
    await tasks.close();
    const segment = await newestSegment(tasks.journalDir);
    const bytes = await readFile(segment);
    const lines = bytes.toString('utf8').split('\n');
    const second = (lines[0]?.length ?? 0) + 1;
    const digit = bytes.indexOf('number 2', second) + 'number '.length;
    bytes[digit] = '7'.charCodeAt(0);
    await writeFile(segment, bytes);
    const report = await run(journalCheck, {
      root,
      collections: [],
      journalDirs: [tasks.journalDir],
    });
    expect(report.status).toBe('failing');
    expect(report.issues).toEqual([
      expect.objectContaining({ code: 'journal_corrupt', severity: 'error', path: segment }),
    ]);
    expect(report.issues[0]?.message).toContain(':2:');
  });

  it('reports corruption in an older, sealed segment', async () => {
    const dir = join(await freshDir(), 'wal');
    const journal = await Journal.open(dir);
    onCleanup(() => journal.close());
    for (let i = 0; i < 3; i++) await journal.append([{ op: 'put', id: `a${i}`, data: { i } }]);
    await journal.rotate();
    await journal.append([{ op: 'put', id: 'b', data: { i: 9 } }]);
    const [first] = await listSegments(dir);
    if (first === undefined) throw new Error('no segment');
    const path = join(dir, first.name);
    const bytes = await readFile(path);
    bytes[bytes.indexOf('"a1"') + 2] = '9'.charCodeAt(0);
    await writeFile(path, bytes);
    const report = await run(journalCheck, { root: dir, journalDirs: [dir] });
    expect(codes(report)).toEqual(['journal_corrupt']);
    expect(report.issues[0]?.path).toBe(path);
  });

  it('does not create a journal directory that is missing', async () => {
    const root = await freshDir();
    const dir = join(root, 'wal');
    const report = await run(journalCheck, { root, journalDirs: [dir] });
    expect(report.status).toBe('ok');
    expect(report.checks.journal?.details).toEqual({ journals: [{ dir, missing: true }] });
    expect(await tree(root)).toEqual([]);
  });
});

describe('locks', () => {
  async function fakeLock(
    root: string,
    owner: { pid: number; hostname: string } | undefined,
    ageMs: number,
    name = 'tasks.json.lock',
  ): Promise<string> {
    const lock = join(root, name);
    await mkdir(lock);
    if (owner !== undefined) {
      await writeFile(`${lock}.owner`, JSON.stringify({ ...owner, acquiredAt: NOW.toISOString() }));
    }
    const at = new Date(Date.now() - ageMs);
    await utimes(lock, at, at);
    return lock;
  }

  /** Forces atomic-io's fallback lock (a directory `<lock file>.d`) for the test's duration. */
  async function withFallbackLocks<T>(fn: () => Promise<T>): Promise<T> {
    const before = process.env[LOCK_MECHANISM_ENV];
    process.env[LOCK_MECHANISM_ENV] = 'proper-lockfile';
    try {
      return await fn();
    } finally {
      if (before === undefined) delete process.env[LOCK_MECHANISM_ENV];
      else process.env[LOCK_MECHANISM_ENV] = before;
    }
  }

  // An older Vellum's lock directory at `<file>.lock`, and the fallback's at `<file>.lock.d`.
  describe.each([
    { kind: 'an older Vellum’s lock directory', name: 'tasks.json.lock', label: 'older Vellum' },
    { kind: 'a fallback lock directory', name: 'tasks.json.lock.d', label: 'lock' },
  ])('$kind', ({ name, label }) => {
    it('reports a lock nobody refreshed: its holder froze', async () => {
      const root = await freshDir();
      const lock = await fakeLock(
        root,
        { pid: process.pid, hostname: hostname() },
        3_600_000,
        name,
      );
      const report = await run(locksCheck, { root });
      expect(report.status).toBe('degraded');
      expect(report.issues).toEqual([
        expect.objectContaining({ code: 'lock_stale', severity: 'warning', path: lock }),
      ]);
      expect(report.issues[0]?.message).toContain(`held by pid ${process.pid}`);
      expect(report.issues[0]?.message).toContain(label);
    });

    it('reports a fresh lock whose owner on this host is dead', async () => {
      const root = await freshDir();
      const pid = deadPid();
      const lock = await fakeLock(root, { pid, hostname: hostname() }, 0, name);
      const report = await run(locksCheck, { root });
      expect(report.issues).toEqual([
        expect.objectContaining({ code: 'lock_owner_dead', severity: 'warning', path: lock }),
      ]);
      expect(report.issues[0]?.message).toContain(`pid ${pid}`);
    });
  });

  it('leaves alone a lock held right now, and another host’s fresh lock', async () => {
    const root = await freshDir();
    await fakeLock(root, { pid: deadPid(), hostname: 'elsewhere.example' }, 0);
    const report = await withLock(join(root, 'data.json'), () => run(locksCheck, { root }));
    expect(report.issues).toEqual([]);
    // The held kernel lock is the regular file data.json.lock; the other host's is a directory.
    expect(report.checks.locks?.details).toEqual({ mechanism: 'flock', locks: 1, lockFiles: 1 });
  });

  it('leaves alone a fallback lock held right now, and says the fallback is in use', async () => {
    const root = await freshDir();
    const report = await withFallbackLocks(() =>
      withLock(join(root, 'data.json'), () => run(locksCheck, { root })),
    );
    expect(report.issues).toEqual([]);
    expect(report.checks.locks?.details).toEqual({
      mechanism: 'proper-lockfile',
      locks: 1,
      lockFiles: 0,
    });
  });

  it('takes regular *.lock files for what they are: kernel lock files, free or held, never stale', async () => {
    const { root, tasks } = await cleanStore();
    const options = { root, collections: [sourceOf(tasks)] };
    const store = await run(locksCheck, options);
    expect(store.issues).toEqual([]);
    const storeLockFiles = Number(store.checks.locks?.details['lockFiles']);
    const old = new Date(Date.now() - 3_600_000);
    // Left by a released kernel lock an hour ago: empty.
    await writeFile(join(root, 'a.json.lock'), '');
    await utimes(join(root, 'a.json.lock'), old, old);
    // A holder's record left by a process killed while holding it: the kernel freed its lock.
    const record = { pid: deadPid(), hostname: hostname(), acquiredAt: NOW.toISOString() };
    await writeFile(join(root, 'b.json.lock'), JSON.stringify(record));
    await utimes(join(root, 'b.json.lock'), old, old);
    // spec 003's tool leaves these beside its files.
    await writeFile(join(root, 'external_id_mapping.json.lock'), '');
    const report = await run(locksCheck, options);
    expect(report.status).toBe('ok');
    expect(report.issues).toEqual([]);
    expect(report.checks.locks?.details).toEqual({
      mechanism: 'flock',
      locks: 0,
      lockFiles: storeLockFiles + 3,
    });
  });

  it('finds locks in subfolders and in collection folders outside the root', async () => {
    const { root, tasks } = await cleanStore();
    const elsewhere = await freshDir();
    const deep = join(root, 'tasks/active');
    await fakeLock(deep, undefined, 3_600_000);
    await fakeLock(elsewhere, undefined, 3_600_000);
    const source = { ...sourceOf(tasks), journalDir: elsewhere };
    const report = await run(locksCheck, { root, collections: [source] });
    expect(report.issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining([join(deep, 'tasks.json.lock'), join(elsewhere, 'tasks.json.lock')]),
    );
    expect(codes(report)).toEqual(['lock_stale', 'lock_stale']);
  });
});

function sourceOf(tasks: Awaited<ReturnType<typeof cleanStore>>['tasks']) {
  return {
    name: tasks.name,
    stateDir: tasks.stateDir,
    journalDir: tasks.journalDir,
    verifyIndexes: () => tasks.verifyIndexes(),
    files: () => tasks.files(),
  };
}

describe('tempFiles', () => {
  it('reports the temp file of a writer that died mid-write', async () => {
    const { root } = await cleanStore();
    const pid = deadPid();
    const orphan = join(root, 'tasks/active', `.TASK-001-001.json.vellum-tmp-${pid}-a1b2c3d4e5f6`);
    await writeFile(orphan, '{"id":"TASK-001-001","cont');
    const report = await run(tempFilesCheck, { root });
    expect(report.status).toBe('degraded');
    expect(report.issues).toEqual([
      expect.objectContaining({ code: 'temp_orphan', severity: 'warning', path: orphan }),
    ]);
    expect(report.issues[0]?.message).toContain(`pid ${pid}, which is no longer running`);
    expect(report.checks.tempFiles?.details).toMatchObject({ orphans: 1, orphanBytes: 26 });
  });

  it('leaves a live writer’s temp file alone until it is too old', async () => {
    const root = await freshDir();
    const temp = join(root, `.data.json.vellum-tmp-${process.pid}-0123456789ab`);
    await writeFile(temp, 'partial');
    // Its age is read against this process's clock, which faketime may shift (the kernel's file
    // times are not): stamp it with that clock.
    await utimes(temp, new Date(), new Date());
    const fresh = await run(tempFilesCheck, { root });
    expect(fresh.issues).toEqual([]);
    expect(fresh.checks.tempFiles?.details).toMatchObject({ inFlight: 1 });
    const old = new Date(Date.now() - 2 * 3_600_000);
    await utimes(temp, old, old);
    const stale = await run(tempFilesCheck, { root });
    expect(codes(stale)).toEqual(['temp_orphan']);
    expect(stale.issues[0]?.message).toContain('120 min old');
  });

  it('ignores files that only look like temp files', async () => {
    const root = await freshDir();
    await writeFile(join(root, 'notes.vellum-tmp-1-ab'), 'x');
    await writeFile(join(root, '.a.json.vellum-tmp-x-ab'), 'x');
    expect((await run(tempFilesCheck, { root })).issues).toEqual([]);
  });
});

describe('backups', () => {
  async function checkpoint(backupDir: string, name: string, complete: boolean): Promise<void> {
    const dir = join(backupDir, 'checkpoints', name);
    await mkdir(dir, { recursive: true });
    if (complete) await writeFile(join(dir, 'manifest.json'), '{"version":"1.0"}\n');
  }

  it('reports no backup at all', async () => {
    const root = await freshDir();
    const backupDir = join(root, 'backups');
    const none = await run(backupsCheck, { root, backupDir, now: () => NOW });
    expect(none.issues).toEqual([
      expect.objectContaining({
        code: 'backup_missing',
        severity: 'warning',
        path: join(backupDir, 'checkpoints'),
      }),
    ]);
    // Directories that are not checkpoints, and a checkpoint still being written, are not backups.
    await checkpoint(backupDir, 'latest', true);
    await checkpoint(backupDir, '20261340_000000', true);
    await checkpoint(backupDir, '20261121_095500', false);
    expect(codes(await run(backupsCheck, { root, backupDir, now: () => NOW }))).toEqual([
      'backup_missing',
    ]);
  });

  it('reports the newest backup when it is too old', async () => {
    const root = await freshDir();
    await checkpoint(root, '20261118_100000', true);
    await checkpoint(root, '20261119_093000', true);
    const old = await run(backupsCheck, { root, backupDir: root, now: () => NOW });
    expect(old.issues).toEqual([
      expect.objectContaining({
        code: 'backup_stale',
        path: join(root, 'checkpoints/20261119_093000'),
      }),
    ]);
    expect(old.issues[0]?.message).toContain('48.5 h old');
    await checkpoint(root, '20261121_093000', true);
    const fresh = await run(backupsCheck, { root, backupDir: root, now: () => NOW });
    expect(fresh.issues).toEqual([]);
    expect(fresh.checks.backups?.details).toEqual({
      checkpoints: 3,
      newest: '20261121_093000',
      ageMs: 1_800_000,
    });
  });

  it('reports a checkpoint left without its manifest', async () => {
    const root = await freshDir();
    await checkpoint(root, '20261121_080000', true);
    await checkpoint(root, '20261121_083000', false);
    await checkpoint(root, '20261121_093000', false);
    const report = await run(backupsCheck, { root, backupDir: root, now: () => NOW });
    expect(report.issues).toEqual([
      expect.objectContaining({
        code: 'backup_incomplete',
        path: join(root, 'checkpoints/20261121_083000'),
      }),
    ]);
  });

  it('reads names in local time when told to', async () => {
    const root = await freshDir();
    const at = new Date(NOW.getTime() - 2 * 3_600_000);
    const pad = (n: number): string => String(n).padStart(2, '0');
    const name = `${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}_${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}`;
    await checkpoint(root, name, true);
    const report = await run(backupsCheck, {
      root,
      backupDir: root,
      backupTimeZone: 'local',
      now: () => NOW,
    });
    expect(report.checks.backups?.details).toMatchObject({ newest: name, ageMs: 7_200_000 });
  });
});

describe('recovery', () => {
  /** A collection as the check sees it, with what its open rebuilt. */
  function source(root: string, name: string, rebuilt?: HealthSource['report']): HealthSource {
    return {
      name,
      stateDir: join(root, '.vellum', name),
      journalDir: join(root, 'wal', name),
      verifyIndexes: () => Promise.resolve({}),
      files: () => Promise.resolve({ indexes: [] }),
      report: rebuilt,
    };
  }

  it('is quiet when every snapshot was there', async () => {
    const root = await freshDir();
    const report = await run(recoveryCheck, { root, collections: [source(root, 'tasks', {})] });
    expect(report.issues).toEqual([]);
    expect(report.checks.recovery?.details).toEqual({ rebuilt: {} });
  });

  it('warns of a snapshot rebuilt from the whole journal, and fails on a gap in the history', async () => {
    const root = await freshDir();
    const whole = { from: 'journal' as const, gap: undefined, restored: ['TASK-001-002'] };
    const gap = { from: 'files' as const, gap: { fromSeq: 1, toSeq: 41 }, restored: [] };
    const report = await run(recoveryCheck, {
      root,
      collections: [
        source(root, 'tasks', { rebuilt: whole }),
        source(root, 'sessions', { rebuilt: gap }),
      ],
    });
    expect(report.status).toBe('failing');
    expect(report.issues).toMatchObject([
      { code: 'snapshot_rebuilt', severity: 'warning', path: join(root, '.vellum', 'tasks') },
      { code: 'history_gap', severity: 'error', path: join(root, 'wal', 'sessions') },
    ]);
    expect(report.issues[0]?.message).toContain('1 document file(s) written again');
    expect(report.issues[1]?.message).toContain('records 1 to 41');
  });
});
