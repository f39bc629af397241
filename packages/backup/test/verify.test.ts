import { appendFile, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BackupNotFoundError,
  createBackup,
  verifyBackup,
  type BackupProgress,
  type CreatedBackup,
} from '../src/index.js';
import { openTasks, task } from './fixtures.js';
import { freshDir } from './helpers.js';

async function backupOfTasks(): Promise<{ root: string; created: CreatedBackup }> {
  const root = await freshDir();
  const tasks = await openTasks(root);
  for (let n = 1; n <= 4; n++) await tasks.put(task(n, n === 4 ? 'done' : 'pending'));
  await tasks.patch('TASK-001', { status: 'active' });
  const created = await createBackup({ root, collections: [tasks] });
  await tasks.close();
  return { root, created };
}

describe('verifyBackup', () => {
  it('passes an intact backup, reporting what it hashed', async () => {
    const { root, created } = await backupOfTasks();
    const events: BackupProgress[] = [];
    const report = await verifyBackup({ root }, created.id, { onProgress: (p) => events.push(p) });
    expect(report).toMatchObject({
      id: created.id,
      path: created.path,
      ok: true,
      manifest: undefined,
      missing: [],
      extra: [],
      changed: [],
      files: created.manifest.totals.files,
      bytes: created.manifest.totals.bytes,
    });
    expect(events.at(-1)).toMatchObject({
      phase: 'verify',
      files: report.files,
      totalFiles: report.files,
      bytes: report.bytes,
      totalBytes: report.bytes,
    });
  });

  it('catches a one-byte change in any file of the backup, the manifest included', async () => {
    const { root, created } = await backupOfTasks();
    const files = [...created.manifest.files.map((f) => f.path), 'manifest.json'];
    expect(files.length).toBeGreaterThan(8);
    for (const path of files) {
      const full = join(created.path, path);
      const original = await readFile(full);
      for (const offset of new Set([0, original.length >> 1, original.length - 1])) {
        const changed = Buffer.from(original);
        changed[offset] = (changed[offset] ?? 0) ^ 0x01;
        await writeFile(full, changed);
        const report = await verifyBackup({ root }, created.id);
        expect(report.ok, `${path} byte ${offset}`).toBe(false);
        if (path === 'manifest.json') expect(report.manifest).toBeDefined();
        else expect(report.changed.map((c) => c.path)).toEqual([path]);
      }
      // One byte more is a change too.
      await appendFile(full, ' ');
      expect((await verifyBackup({ root }, created.id)).ok, `${path} + 1 byte`).toBe(false);
      await writeFile(full, original);
      expect((await verifyBackup({ root }, created.id)).ok).toBe(true);
    }
  });

  it('lists missing, extra and changed files, and a symlink in place of a file', async () => {
    const { root, created } = await backupOfTasks();
    const [first, second, third] = created.manifest.files;
    if (first === undefined || second === undefined || third === undefined)
      throw new Error('files');
    await unlink(join(created.path, first.path));
    await writeFile(join(created.path, 'stray.json'), '{}');
    await writeFile(join(created.path, second.path), 'x');
    const target = join(created.path, third.path);
    const bytes = await readFile(target);
    await rm(target);
    await writeFile(join(root, 'outside'), bytes);
    await symlink(join(root, 'outside'), target);
    const report = await verifyBackup({ root }, created.id);
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual([first.path]);
    expect(report.extra).toEqual(['stray.json']);
    expect(report.changed).toEqual(
      [
        {
          path: second.path,
          expectedSize: second.size,
          actualSize: 1,
          expectedSha256: second.sha256,
          actualSha256: '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881',
        },
        {
          path: third.path,
          expectedSize: third.size,
          actualSize: 0,
          expectedSha256: third.sha256,
          actualSha256: undefined,
        },
      ].sort((a, b) => (a.path < b.path ? -1 : 1)),
    );
  });

  it('reports an unusable manifest without reading the files', async () => {
    const { root, created } = await backupOfTasks();
    await rm(join(created.path, 'manifest.json'));
    expect(await verifyBackup({ root }, created.id)).toMatchObject({
      ok: false,
      manifest: 'no manifest.json',
      files: 0,
    });
  });

  it('throws BackupNotFoundError for an unknown id', async () => {
    const root = await freshDir();
    await expect(verifyBackup({ root }, '20260101_000000')).rejects.toBeInstanceOf(
      BackupNotFoundError,
    );
    await expect(verifyBackup({ root }, '../etc')).rejects.toMatchObject({
      code: 'VELLUM_BACKUP_NOT_FOUND',
    });
  });
});
