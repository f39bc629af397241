import { constants } from 'node:fs';
import { copyFile, mkdir, open, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import {
  ensureDir,
  errnoOf,
  fsyncDirectory,
  nodeFs,
  statOrNull,
  writeJsonAtomic,
} from '@vellum/atomic-io';
import type { Collection } from '@vellum/collection';
import type { Direction } from './errors.js';
import { migrationsDir } from './marker.js';
import type { Doc } from './registry.js';
import { versionFilePath } from './version-file.js';
import type { Version } from './versions.js';

/** What a backup function is told about the step it protects. */
export interface BackupContext {
  root: string;
  /** The store's version now, before the step. */
  version: Version;
  migrationId: string;
  direction: Direction;
  from: Version;
  to: Version;
  /** The store's collections, open. */
  collections: ReadonlyMap<string, Collection<Doc>>;
}

/**
 * Takes a backup before a migration step and resolves with where it is, once
 * it is durable. A rejection stops the step before anything is written.
 * `@vellum/backup` can be plugged in here; `copyBackup` is the default.
 */
export type BackupFn = (reason: string, context: BackupContext) => Promise<string>;

/** `backup.json` in each default backup, written last: a folder without it is incomplete. */
export interface BackupManifest {
  format: 1;
  reason: string;
  created_at: string;
  root: string;
  version: Version;
  migration_id: string;
  direction: Direction;
  files: { path: string; source: string; bytes: number }[];
}

/** A fresh `backup-<UTC time>[-n]` folder; never one a previous backup used. */
async function freshBackupDir(root: string, now: Date): Promise<string> {
  const parent = migrationsDir(root);
  await ensureDir(parent);
  const stampText = now.toISOString().replace(/[:.]/g, '-');
  for (let n = 1; ; n++) {
    const dir = join(parent, n === 1 ? `backup-${stampText}` : `backup-${stampText}-${n}`);
    try {
      await mkdir(dir);
      await fsyncDirectory(nodeFs, parent);
      return dir;
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
    }
  }
}

/** Copies a file and fsyncs the copy; the caller fsyncs the directories. */
async function copyDurably(source: string, target: string): Promise<number> {
  await copyFile(source, target, constants.COPYFILE_EXCL);
  const handle = await open(target, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  return (await stat(target)).size;
}

/**
 * The default backup: for each collection, `checkpoint()` (so its files,
 * snapshot and checkpoint all reflect one journal position), then a copy of
 * every file `files()` lists, and of the version file, into
 * `<root>/.vellum/migrations/backup-<UTC time>/` at the same relative paths
 * (files outside the root under `external/<collection>/`). `backup.json` is
 * written last. Every file and folder is fsynced before it resolves.
 * @returns the backup folder.
 * @throws the first file-system error; a folder without `backup.json` is incomplete.
 */
export async function copyBackup(reason: string, context: BackupContext): Promise<string> {
  const now = new Date();
  const dir = await freshBackupDir(context.root, now);
  const copied: BackupManifest['files'] = [];
  const dirs = new Set<string>();
  const copy = async (source: string, inBackup: string): Promise<void> => {
    const target = join(dir, inBackup);
    await ensureDir(dirname(target));
    dirs.add(dirname(target));
    copied.push({ path: inBackup, source, bytes: await copyDurably(source, target) });
  };
  for (const [name, collection] of [...context.collections].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await collection.checkpoint();
    const files = await collection.files();
    for (const file of [...files.documents, ...files.indexes, ...files.state, ...files.journal]) {
      const inRoot = relative(context.root, file);
      const outside = inRoot.startsWith('..') || isAbsolute(inRoot);
      await copy(file, outside ? join('external', name, basename(file)) : inRoot);
    }
  }
  const versionFile = versionFilePath(context.root);
  if ((await statOrNull(versionFile)) !== null) await copy(versionFile, basename(versionFile));
  for (const folder of dirs) await fsyncDirectory(nodeFs, folder);
  const manifest: BackupManifest = {
    format: 1,
    reason,
    created_at: now.toISOString(),
    root: context.root,
    version: context.version,
    migration_id: context.migrationId,
    direction: context.direction,
    files: copied,
  };
  await writeJsonAtomic(join(dir, 'backup.json'), manifest);
  return dir;
}
