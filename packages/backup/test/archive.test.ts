import { cp, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';
import {
  BackupCorruptError,
  BackupExistsError,
  createBackup,
  exportBackup,
  importBackup,
  listBackups,
  restoreBackup,
  verifyBackup,
  type BackupProgress,
  type CreatedBackup,
} from '../src/index.js';
import { allDocs, openTasks, task } from './fixtures.js';
import { contents, freshDir } from './helpers.js';

async function backupOfTasks(): Promise<{ dir: string; root: string; created: CreatedBackup }> {
  const dir = await freshDir();
  const root = join(dir, 'store');
  const tasks = await openTasks(root);
  for (let n = 1; n <= 5; n++) await tasks.put(task(n, n % 2 === 0 ? 'done' : 'pending'));
  const created = await createBackup({ root, collections: [tasks] });
  await tasks.close();
  return { dir, root, created };
}

/** A .tar.gz of `folder` (named `id` inside), made without our exporter. */
async function archiveOf(folder: string, id: string, file: string): Promise<void> {
  await tar.create({ gzip: true, file, cwd: join(folder, '..') }, [id]);
}

describe('exportBackup / importBackup', () => {
  it('round-trips a backup through a .tar.gz to another machine, and restores from it', async () => {
    const { dir, created } = await backupOfTasks();
    const file = join(dir, 'out', 'backup.tar.gz');
    const events: BackupProgress[] = [];
    const exported = await exportBackup({ root: join(dir, 'store') }, created.id, file, {
      onProgress: (p) => events.push(p),
    });
    expect(exported).toMatchObject({ file, files: created.manifest.totals.files });
    expect(exported.bytes).toBeGreaterThan(0);
    expect(await readdir(join(dir, 'out'))).toEqual(['backup.tar.gz']);
    expect(events.filter((e) => e.phase === 'archive').at(-1)).toMatchObject({
      files: created.manifest.totals.files + 1,
      totalFiles: created.manifest.totals.files + 1,
    });

    const elsewhere = {
      root: join(dir, 'machine-2', 'store'),
      backupDir: join(dir, 'machine-2', 'backups'),
    };
    const imported = await importBackup(elsewhere, file);
    expect(imported.id).toBe(created.id);
    expect(imported.manifest).toEqual(created.manifest);
    expect(await contents(imported.path)).toEqual(await contents(created.path));
    expect((await verifyBackup(elsewhere, created.id)).ok).toBe(true);
    expect(await readdir(join(elsewhere.backupDir, 'checkpoints'))).toEqual([created.id]);

    await restoreBackup(elsewhere, created.id);
    const restored = await openTasks(elsewhere.root);
    expect((await allDocs(restored)).map((t) => `${t.id}:${t.status}`)).toEqual([
      'TASK-001:pending',
      'TASK-002:done',
      'TASK-003:pending',
      'TASK-004:done',
      'TASK-005:pending',
    ]);
  });

  it('refuses an archive whose files do not match its manifest, adding nothing', async () => {
    const { dir, created } = await backupOfTasks();
    const tampered = join(dir, 'tampered', created.id);
    await cp(created.path, tampered, { recursive: true });
    const doc = join(tampered, 'tasks', 'done', 'TASK-002.json');
    await writeFile(doc, (await readFile(doc, 'utf8')).replace('done', 'pend'));
    const file = join(dir, 'tampered.tar.gz');
    await archiveOf(tampered, created.id, file);
    const target = { root: join(dir, 'other') };
    const error = await importBackup(target, file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackupCorruptError);
    expect((error as BackupCorruptError).files).toEqual(['tasks/done/TASK-002.json']);
    expect(await readdir(join(dir, 'other', 'checkpoints'))).toEqual([]);
  });

  it('refuses links, garbage, and archives that are not one backup folder', async () => {
    const { dir, created } = await backupOfTasks();
    const target = { root: join(dir, 'other') };
    const linked = join(dir, 'linked', created.id);
    await cp(created.path, linked, { recursive: true });
    await symlink('/etc/passwd', join(linked, 'passwd'));
    await archiveOf(linked, created.id, join(dir, 'linked.tar.gz'));
    await expect(importBackup(target, join(dir, 'linked.tar.gz'))).rejects.toMatchObject({
      code: 'VELLUM_BACKUP_CORRUPT',
      files: ['passwd'],
    });

    await writeFile(join(dir, 'garbage.tar.gz'), 'not an archive at all');
    await expect(importBackup(target, join(dir, 'garbage.tar.gz'))).rejects.toBeInstanceOf(
      BackupCorruptError,
    );

    await mkdir(join(dir, 'loose', 'notes'), { recursive: true });
    await writeFile(join(dir, 'loose', 'notes', 'a.txt'), 'a');
    await tar.create({ gzip: true, file: join(dir, 'loose.tar.gz'), cwd: join(dir, 'loose') }, [
      'notes',
    ]);
    await expect(importBackup(target, join(dir, 'loose.tar.gz'))).rejects.toThrow(
      /exactly one backup folder/,
    );
    expect(await readdir(join(dir, 'other', 'checkpoints'))).toEqual([]);
  });

  it('never overwrites a backup that is already there', async () => {
    const { dir, root, created } = await backupOfTasks();
    const file = join(dir, 'b.tar.gz');
    await exportBackup({ root }, created.id, file);
    await expect(importBackup({ root }, file)).rejects.toBeInstanceOf(BackupExistsError);
    expect((await listBackups({ root })).map((b) => b.id)).toEqual([created.id]);
    expect(await readdir(join(root, 'checkpoints'))).toEqual([created.id]);
  });

  it('does not export a corrupt backup', async () => {
    const { dir, root, created } = await backupOfTasks();
    await writeFile(join(created.path, 'tasks', 'active', 'TASK-001.json'), '{}');
    await expect(exportBackup({ root }, created.id, join(dir, 'x.tar.gz'))).rejects.toBeInstanceOf(
      BackupCorruptError,
    );
    expect(await readdir(dir)).toEqual(['store']);
  });
});
