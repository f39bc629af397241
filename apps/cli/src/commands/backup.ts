import { rm, rmdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pc from 'picocolors';
import type { BackupLocation, BackupProgress, CreatedBackup, RestoreTarget } from '@vellum/backup';
import type { TaskStore } from '@vellum/tasks';
import type { Context } from '../context.js';
import { CliError, emit } from '../output.js';
import { progress } from '../progress.js';
import { requireTaskStore, withTaskStore } from './open.js';

const location = (context: Context): BackupLocation => ({ root: context.tasksDir });

/** A progress bar fed by the backup package's callbacks. */
function bar(
  context: Context,
  title: string,
): { onProgress: (p: BackupProgress) => void; done: () => void } {
  const shown = progress(context, title);
  return {
    onProgress: (p) => shown.update(p.files, p.totalFiles, p.phase),
    done: () => shown.done(),
  };
}

/** The given backup id, or the newest usable one. */
async function pick(context: Context, id: string | undefined): Promise<string> {
  await requireTaskStore(context);
  if (id !== undefined) return id;
  const { listBackups } = await import('@vellum/backup');
  // The newest, usable or not: verify and restore say what is wrong with it.
  const newest = (await listBackups(location(context))).at(-1);
  if (newest === undefined)
    throw new CliError(
      'VELLUM_BACKUP_NOT_FOUND',
      'there is no backup yet: run `vellum backup create`',
    );
  return newest.id;
}

/** A backup of the open store, in `checkpoints/`. */
async function takeBackup(
  context: Context,
  store: TaskStore,
  onProgress?: (p: BackupProgress) => void,
): Promise<CreatedBackup> {
  const { createBackup } = await import('@vellum/backup');
  return createBackup({
    root: store.root,
    collections: await store.collections(),
    kind: 'ap-state',
    lockTimeout: context.lockTimeout,
    ...(onProgress === undefined ? {} : { onProgress }),
  });
}

export async function create(context: Context): Promise<void> {
  const shown = bar(context, 'backup');
  const created = await withTaskStore(context, (store) =>
    takeBackup(context, store, shown.onProgress),
  );
  shown.done();
  const summary = {
    id: created.id,
    path: created.path,
    files: created.manifest.files.length,
    seq: created.manifest.collections,
  };
  emit(
    context,
    summary,
    () =>
      `${pc.green('created')} backup ${pc.bold(created.id)}: ${summary.files} files, checked by SHA-256 (${created.path})`,
  );
}

export async function list(context: Context): Promise<void> {
  await requireTaskStore(context);
  const { listBackups } = await import('@vellum/backup');
  const backups = await listBackups(location(context));
  const rows = backups.map((b) => ({
    id: b.id,
    path: b.path,
    files: b.manifest?.files.length ?? null,
    created: b.manifest?.timestamp ?? null,
    problem: b.problem ?? null,
  }));
  emit(
    context,
    { items: rows, total: rows.length },
    () =>
      rows
        .map((r) => `${r.id}  ${r.problem === null ? `${r.files ?? 0} files` : pc.red(r.problem)}`)
        .join('\n') || pc.dim('no backups'),
  );
}

export async function verify(context: Context, [id]: string[]): Promise<void> {
  const { verifyBackup } = await import('@vellum/backup');
  const chosen = await pick(context, id);
  const shown = bar(context, 'verify');
  const report = await verifyBackup(location(context), chosen, { onProgress: shown.onProgress });
  shown.done();
  emit(context, report, () =>
    report.ok
      ? `${pc.green('ok')} backup ${chosen}: every file matches its SHA-256`
      : [
          `${pc.red('CORRUPT')} backup ${chosen}${report.manifest === undefined ? '' : `: ${report.manifest}`}`,
          ...report.missing.map((f) => `  missing ${f}`),
          ...report.changed.map((f) => `  changed ${f.path}`),
          ...report.extra.map((f) => `  extra   ${f}`),
        ].join('\n'),
  );
  if (!report.ok)
    throw new CliError(
      'VELLUM_BACKUP_CORRUPT',
      `backup ${chosen} does not match its manifest`,
      undefined,
      {
        reported: true,
      },
    );
}

export async function restore(
  context: Context,
  [id]: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const { restoreBackup } = await import('@vellum/backup');
  if (options.toSeq !== undefined && options.toTime !== undefined)
    throw new CliError('VELLUM_USAGE', 'give --to-seq or --to-time, not both');
  let to: RestoreTarget | undefined;
  const chosen = await pick(context, id);
  if (options.toSeq !== undefined) {
    // A sequence number belongs to one collection's journal; the others stay as the backup has them.
    const { listBackups } = await import('@vellum/backup');
    const manifest = (await listBackups(location(context))).find((b) => b.id === chosen)?.manifest;
    const target = (options.collection as string | undefined) ?? 'tasks';
    const seq: Record<string, number> = Object.fromEntries(
      (manifest?.collections ?? []).map((c) => [c.name, c.seq]),
    );
    if (!(target in seq))
      throw new CliError(
        'VELLUM_USAGE',
        `backup ${chosen} has no collection ${target} (it has ${Object.keys(seq).join(', ')})`,
      );
    seq[target] = options.toSeq as number;
    to = { seq };
  }
  if (options.toTime !== undefined) {
    const time = new Date(options.toTime as string);
    if (Number.isNaN(time.getTime()))
      throw new CliError(
        'VELLUM_USAGE',
        `--to-time ${JSON.stringify(options.toTime)} is not a date`,
      );
    to = { time };
  }
  const shown = bar(context, 'restore');
  const report = await restoreBackup(location(context), chosen, {
    ...(to === undefined ? {} : { to }),
    onProgress: shown.onProgress,
  });
  shown.done();
  emit(context, report, () =>
    [
      `${pc.green('restored')} backup ${chosen}: ${report.files} files`,
      ...report.collections.map((c) => `  ${c.name}: state at seq ${c.seq}`),
      report.movedAside === null
        ? ''
        : pc.dim(`  the previous state is kept at ${report.movedAside}`),
    ]
      .filter((l) => l !== '')
      .join('\n'),
  );
}

export async function rotate(
  context: Context,
  _args: string[],
  options: Record<string, unknown>,
): Promise<void> {
  await requireTaskStore(context);
  const { rotateBackups } = await import('@vellum/backup');
  const result = await rotateBackups(location(context), {
    daily: options.daily as number,
    weekly: options.weekly as number,
  });
  emit(
    context,
    result,
    () =>
      `${pc.green('kept')} ${result.kept.length}, ${pc.yellow('removed')} ${result.removed.length}${result.removed.length > 0 ? `: ${result.removed.join(', ')}` : ''}`,
  );
}

/**
 * Where the archive goes, checked before anything is taken: a failed export
 * must not leave a new backup behind.
 * @throws {CliError} `VELLUM_USAGE` (exit 2): no name, or an existing directory.
 */
async function archiveTarget(file: string): Promise<string> {
  if (file.trim() === '')
    throw new CliError('VELLUM_USAGE', 'export needs the name of the .tar.gz file to write');
  const target = resolve(file);
  if ((await stat(target).catch(() => undefined))?.isDirectory() === true)
    throw new CliError(
      'VELLUM_USAGE',
      `cannot export to ${target}: it is a directory; give the archive's file name, e.g. ${join(target, 'store.tar.gz')}`,
      { path: target },
    );
  return target;
}

export async function exportArchive(
  context: Context,
  [file = '']: string[],
  options: Record<string, unknown>,
): Promise<void> {
  await requireTaskStore(context);
  const target = await archiveTarget(file);
  const { exportBackup } = await import('@vellum/backup');
  const shown = bar(context, 'export');
  const given = options.id as string | undefined;
  const exported =
    given === undefined
      ? await withTaskStore(context, async (store) => {
          const checkpoints = join(store.root, 'checkpoints');
          const hadCheckpoints = await stat(checkpoints).then(
            () => true,
            () => false,
          );
          const created = await takeBackup(context, store);
          try {
            const archive = await exportBackup(location(context), created.id, target, {
              onProgress: shown.onProgress,
            });
            return { id: created.id, ...archive };
          } catch (error) {
            // The backup was taken for this export only: a failed export leaves none behind.
            await rm(created.path, { recursive: true, force: true });
            if (!hadCheckpoints) await rmdir(checkpoints).catch(() => undefined);
            throw error;
          }
        })
      : {
          id: given,
          ...(await exportBackup(location(context), given, target, {
            onProgress: shown.onProgress,
          })),
        };
  shown.done();
  emit(context, exported, () => `${pc.green('exported')} backup ${exported.id} to ${target}`);
}

export async function importArchive(context: Context, [file = '']: string[]): Promise<void> {
  const { importBackup } = await import('@vellum/backup');
  const shown = bar(context, 'import');
  const imported = await importBackup(location(context), file, { onProgress: shown.onProgress });
  shown.done();
  emit(
    context,
    { id: imported.id, path: imported.path },
    () =>
      `${pc.green('imported')} backup ${imported.id} (verified); \`vellum backup restore ${imported.id}\` makes it the current state`,
  );
}
