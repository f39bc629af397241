import { spawnSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MigrationFailedError,
  MigrationPlanError,
  Migrator,
  StoreTooNewError,
  checkStoreVersion,
  defineMigrations,
  readStoreVersion,
  writeStoreVersion,
  type BackupContext,
  type MigratorOptions,
  type ProgressEvent,
} from '../src/index.js';
import { markerPath } from '../src/marker.js';
import {
  arrayCollections,
  collections,
  migrations,
  randomDocs,
  readDocs,
  registry,
  sampleNotes,
  sampleTasks,
  seedStore,
  withoutStamp,
} from './fixtures.js';
import { exists, freshDir, snapshotTree } from './helpers.js';

const NOW = new Date('2026-11-21T10:00:00.000Z');

function options(root: string, extra: Partial<MigratorOptions> = {}): MigratorOptions {
  return { root, registry, collections, now: () => NOW, ...extra };
}

describe('status', () => {
  it('lists the applied and pending migrations as the store moves', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes }, null);
    const migrator = await Migrator.open(options(root));

    const fresh = await migrator.status();
    expect(fresh).toMatchObject({
      current: '1',
      versionFile: 'missing',
      latest: '3',
      upToDate: false,
      applied: [],
      interrupted: undefined,
    });
    expect(fresh.pending.map((m) => m.id)).toEqual(['0002-priority', '0003-title-and-tag-list']);
    expect(fresh.pending[0]).toEqual({
      id: '0002-priority',
      from: '1',
      to: '2',
      description: 'tasks get a priority',
    });

    await migrator.up({ to: 2 });
    const middle = await migrator.status();
    expect(middle).toMatchObject({ current: '2', versionFile: 'present', upToDate: false });
    expect(middle.applied.map((m) => m.id)).toEqual(['0002-priority']);
    expect(middle.pending.map((m) => m.id)).toEqual(['0003-title-and-tag-list']);

    await migrator.up();
    const latest = await migrator.status();
    expect(latest).toMatchObject({ current: '3', upToDate: true, pending: [] });
    expect(latest.applied).toHaveLength(2);

    await migrator.down();
    expect((await migrator.status()).pending.map((m) => m.id)).toEqual(['0003-title-and-tag-list']);
  });

  it('checkStoreVersion lets an older store through with its pending migrations', async () => {
    const root = await freshDir();
    await writeStoreVersion(root, '2');
    const status = await checkStoreVersion(root, registry);
    expect(status.current).toBe('2');
    expect(status.pending.map((m) => m.id)).toEqual(['0003-title-and-tag-list']);
  });
});

describe('up and down', () => {
  it('up migrates every document and the version file; down is the identity on the data (fixed samples)', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const before = await readDocs(root);
    const migrator = await Migrator.open(options(root));

    const up = await migrator.up();
    expect(up.steps.map((s) => [s.migrationId, s.from, s.to])).toEqual([
      ['0002-priority', '1', '2'],
      ['0003-title-and-tag-list', '2', '3'],
    ]);
    expect(await readFile(join(root, 'version'), 'utf8')).toBe('3\n');
    const upgraded = await readDocs(root);
    expect(upgraded.tasks.find((t) => t.id === 'TASK-001-003')).toEqual({
      version: '3',
      id: 'TASK-001-003',
      status: 'blocked',
      metadata: {},
      priority: 'high',
      title: 'Blocked on review — "quoted" ünïcode',
      _migration: {
        from_version: '2',
        migrated_at: NOW.toISOString(),
        migration_id: '0003-title-and-tag-list',
      },
    });
    expect(upgraded.notes.map((n) => n.tags)).toEqual([['a', 'b'], [''], ['x', '', 'y', '']]);
    // The layout's files follow: a completed task's file is where pathOf puts it.
    const onDisk = JSON.parse(
      await readFile(join(root, 'tasks/completed/TASK-001-002.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(onDisk).toMatchObject({ version: '3', title: 'Ship it' });

    const down = await migrator.down({ to: 1 });
    expect(down.steps.map((s) => [s.direction, s.from, s.to])).toEqual([
      ['down', '3', '2'],
      ['down', '2', '1'],
    ]);
    expect(await readStoreVersion(root)).toBe('1');
    const after = await readDocs(root);
    expect(after.tasks.map(withoutStamp)).toEqual(before.tasks);
    expect(after.notes.map(withoutStamp)).toEqual(before.notes);
    expect(after.tasks[0]?._migration).toEqual({
      from_version: '2',
      migrated_at: NOW.toISOString(),
      migration_id: '0002-priority',
    });
  });

  it('down(up(store)) is the identity on 6 random stores of 150 tasks and 50 notes', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      const root = await freshDir();
      const docs = randomDocs(seed, 150);
      await seedStore(root, docs, '1', arrayCollections);
      const before = await readDocs(root, arrayCollections);
      const migrator = await Migrator.open(
        options(root, { collections: arrayCollections, backup: async () => 'none' }),
      );
      await migrator.up();
      const middle = await readDocs(root, arrayCollections);
      expect(
        middle.tasks.every((t) => t.version === '3' && 'title' in t && !('content' in t)),
      ).toBe(true);
      await migrator.down({ to: 1 });
      const after = await readDocs(root, arrayCollections);
      expect(after.tasks.map(withoutStamp), `seed ${seed}`).toEqual(before.tasks);
      expect(after.notes.map(withoutStamp), `seed ${seed}`).toEqual(before.notes);
    }
  });

  it('documents already at the target version (written by newer code) are left alone', async () => {
    const root = await freshDir();
    const newer = {
      version: '2',
      id: 'TASK-9',
      content: 'new',
      status: 'pending',
      priority: 'low',
    };
    await seedStore(root, { tasks: sampleTasks, notes: [] });
    const migrator = await Migrator.open(options(root));
    // The application (at version 2, upgrading on read) wrote one document at 2 into the store at 1.
    await seedStore(root, { tasks: [newer], notes: [] }, null);
    const report = await migrator.up({ to: 2 });
    expect(report.steps[0]?.collections.find((c) => c.collection === 'tasks')).toMatchObject({
      documents: 4,
      migrated: 3,
      skipped: 1,
    });
    expect((await readDocs(root)).tasks.find((t) => t.id === 'TASK-9')).toEqual(newer);
  });

  it('reports per collection: documents, migrated, changed, and sample diffs', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const migrator = await Migrator.open(options(root, { samples: 1 }));
    const report = await migrator.up({ to: 2 });
    const [tasks, notes] = ['tasks', 'notes'].map((name) =>
      report.steps[0]?.collections.find((c) => c.collection === name),
    );
    expect(tasks).toMatchObject({ documents: 3, migrated: 3, changed: 3, skipped: 0 });
    expect(tasks?.samples).toEqual([
      {
        id: 'TASK-001-001',
        from: '1',
        to: '2',
        changes: [{ path: ['priority'], kind: 'added', after: 'medium' }],
      },
    ]);
    // No transform for notes: they are only stamped.
    expect(notes).toMatchObject({ documents: 3, migrated: 3, changed: 0, samples: [] });
    expect(report.steps[0]?.backup).toMatch(/\.vellum\/migrations\/backup-/);
  });
});

describe('backups', () => {
  it('the default backup holds the old documents, state, journal and version file, with a manifest', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const migrator = await Migrator.open(options(root));
    const report = await migrator.up();
    const backups = (await readdir(join(root, '.vellum/migrations'))).filter((name) =>
      name.startsWith('backup-'),
    );
    expect(backups).toHaveLength(2);
    const first = report.steps[0]?.backup ?? '';
    expect(await readFile(join(first, 'version'), 'utf8')).toBe('1\n');
    const task = JSON.parse(
      await readFile(join(first, 'tasks/active/TASK-001-001.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(task).toMatchObject({ version: '1', content: 'Design the login page' });
    const manifest = JSON.parse(await readFile(join(first, 'backup.json'), 'utf8')) as {
      reason: string;
      version: string;
      files: { path: string }[];
    };
    expect(manifest.reason).toBe('before migration 0002-priority (up 1 → 2)');
    expect(manifest.version).toBe('1');
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toContain('notes.json');
    expect(paths).toContain('.vellum/tasks/checkpoint.json');
    expect(paths.some((p) => p.startsWith('.vellum/tasks/wal/'))).toBe(true);
  });

  it('an injected backup runs before anything changes, once per step; if it fails nothing is written', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const seen: { reason: string; version: string; marker: boolean; onDisk: string | null }[] = [];
    const backup = async (reason: string, context: BackupContext): Promise<string> => {
      seen.push({
        reason,
        version: context.version,
        marker: await exists(markerPath(root)),
        onDisk: await readStoreVersion(root),
      });
      return `/backups/${seen.length}`;
    };
    const report = await (await Migrator.open(options(root, { backup }))).up();
    expect(seen).toEqual([
      {
        reason: 'before migration 0002-priority (up 1 → 2)',
        version: '1',
        marker: false,
        onDisk: '1',
      },
      {
        reason: 'before migration 0003-title-and-tag-list (up 2 → 3)',
        version: '2',
        marker: false,
        onDisk: '2',
      },
    ]);
    expect(report.steps.map((s) => s.backup)).toEqual(['/backups/1', '/backups/2']);

    const other = await freshDir();
    await seedStore(other, { tasks: sampleTasks, notes: sampleNotes });
    const before = await snapshotTree(other);
    const failing = await Migrator.open(
      options(other, {
        backup: async () => {
          throw new Error('backup disk offline');
        },
      }),
    );
    await expect(failing.up()).rejects.toMatchObject({
      code: 'VELLUM_MIGRATION_FAILED',
      consistent: true,
      storeVersion: '1',
      message: expect.stringMatching(
        /backup before migration 0002-priority .* failed.*: backup disk offline$/,
      ) as unknown,
    });
    // Opening the collections for the backup checkpoints them; no document, version or marker changes.
    expect(await readStoreVersion(other)).toBe('1');
    expect(await exists(markerPath(other))).toBe(false);
    const after = await snapshotTree(other);
    for (const [path, bytes] of before) {
      if (path.startsWith('.vellum/')) continue;
      expect(after.get(path), path).toBe(bytes);
    }
  });
});

describe('failures leave the old version', () => {
  it('a transform that throws: MigrationFailedError naming the document, nothing written', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const broken = defineMigrations(
      migrations.map((m) =>
        m.id === '0002-priority'
          ? {
              ...m,
              up: {
                tasks: (task) => {
                  if (task.id === 'TASK-001-002') throw new Error('no priority for you');
                  return task;
                },
              },
            }
          : m,
      ),
    );
    const migrator = await Migrator.open(
      options(root, { registry: broken, backup: async () => 'none' }),
    );
    const before = await snapshotTree(root);
    const error = await migrator.up().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error).toMatchObject({
      code: 'VELLUM_MIGRATION_FAILED',
      migrationId: '0002-priority',
      collection: 'tasks',
      documentId: 'TASK-001-002',
      storeVersion: '1',
      consistent: true,
    });
    expect((error as Error).message).toContain('no priority for you');
    expect(await readStoreVersion(root)).toBe('1');
    const after = await snapshotTree(root);
    for (const [path, bytes] of before) {
      // Opening to read refreshes checkpoint.json's time stamp; documents and journal are untouched.
      if (path.endsWith('checkpoint.json') || path.startsWith('.vellum/migrations')) continue;
      expect(after.get(path), path).toBe(bytes);
    }
  });

  it('a transform that changes the id or returns a non-document is refused before any write', async () => {
    for (const bad of [(t: Record<string, unknown>) => ({ ...t, id: 'other' }), () => null]) {
      const root = await freshDir();
      await seedStore(root, { tasks: sampleTasks, notes: [] });
      const registryWithBad = defineMigrations([
        { id: 'bad', from: 1, to: 2, up: { tasks: bad as never }, down: {} },
      ]);
      const migrator = await Migrator.open(
        options(root, { registry: registryWithBad, backup: async () => 'none' }),
      );
      await expect(migrator.up()).rejects.toMatchObject({ code: 'VELLUM_MIGRATION_FAILED' });
      expect((await readDocs(root)).tasks).toEqual(
        sampleTasks.map((t) => ({ version: '1', ...t })),
      );
    }
  });

  it('a store hook that fails after the documents committed: they are written back exactly', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const before = await readDocs(root);
    const events: ProgressEvent['phase'][] = [];
    const failing = defineMigrations([
      {
        ...(migrations[1] as (typeof migrations)[number]),
        store: {
          up: () => {
            throw new Error('hook failed');
          },
          down: () => undefined,
        },
      },
    ]);
    const migrator = await Migrator.open(
      options(root, {
        registry: failing,
        backup: async () => 'none',
        onProgress: (event) => events.push(event.phase),
      }),
    );
    const error = await migrator.up().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'VELLUM_MIGRATION_FAILED', consistent: true });
    expect(events).toEqual([
      'start',
      'backup',
      'marker',
      'committed',
      'committed',
      'store',
      'rolled-back',
    ]);
    expect(await readStoreVersion(root)).toBe('1');
    expect(await exists(markerPath(root))).toBe(false);
    // Exactly, `_migration` included: the originals are written back, not `down` applied.
    expect(await readDocs(root)).toEqual(before);
  });
});

describe('another writer during a step', () => {
  it('its write wins: the step fails with a conflict, nothing of it stays, the write is kept', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const before = await readDocs(root);
    const migrator = await Migrator.open(
      options(root, {
        backup: async () => 'none',
        onProgress: (event) => {
          // After the documents were read, before any is written: another process commits a
          // write (synchronously, so it has landed before the migrator's next step).
          if (event.phase !== 'marker') return;
          const writer = spawnSync(process.execPath, [
            join(import.meta.dirname, 'children', 'patch.mjs'),
            root,
            'TASK-001-001',
            JSON.stringify({ content: 'edited meanwhile' }),
          ]);
          if (writer.status !== 0) throw new Error(writer.stderr.toString());
        },
      }),
    );
    const error = await migrator.up({ to: 2 }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'VELLUM_MIGRATION_FAILED',
      consistent: true,
      storeVersion: '1',
      cause: { code: 'VELLUM_CONFLICT', id: 'TASK-001-001' },
    });
    const after = await readDocs(root);
    expect(after.notes).toEqual(before.notes);
    expect(after.tasks.find((t) => t.id === 'TASK-001-001')).toMatchObject({
      version: '1',
      content: 'edited meanwhile',
    });
    expect(after.tasks.every((t) => t.version === '1' && !('priority' in t))).toBe(true);
    expect(await readStoreVersion(root)).toBe('1');
  });
});

describe('versions the code does not support', () => {
  it('a store newer than the code refuses to open, naming both versions, and nothing is written', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: [] }, '4');
    const before = await snapshotTree(root);
    const error = await Migrator.open(options(root)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreTooNewError);
    expect(error).toMatchObject({
      code: 'VELLUM_STORE_TOO_NEW',
      storeVersion: '4',
      codeVersion: '3',
      path: join(root, 'version'),
    });
    expect((error as Error).message).toMatch(
      /version 4, newer than this code knows.*up to 3.*Upgrade/,
    );
    await expect(checkStoreVersion(root, registry)).rejects.toBeInstanceOf(StoreTooNewError);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it('also when the store became newer after the migrator was opened', async () => {
    const root = await freshDir();
    await writeStoreVersion(root, '3');
    const migrator = await Migrator.open(options(root));
    await writeStoreVersion(root, '3.1');
    await expect(migrator.status()).rejects.toMatchObject({ code: 'VELLUM_STORE_TOO_NEW' });
    await expect(migrator.down()).rejects.toMatchObject({ code: 'VELLUM_STORE_TOO_NEW' });
  });

  it('unknown versions and impossible targets are plan errors', async () => {
    const root = await freshDir();
    await writeStoreVersion(root, '1.5');
    await expect(Migrator.open(options(root))).rejects.toBeInstanceOf(MigrationPlanError);
    await writeStoreVersion(root, '2');
    const migrator = await Migrator.open(options(root, { backup: async () => 'none' }));
    await expect(migrator.up({ to: 1 })).rejects.toThrow(/cannot go up to 1.*use down/);
    await expect(migrator.down({ to: 3 })).rejects.toThrow(/cannot go down to 3/);
    await expect(migrator.up({ to: 7 })).rejects.toThrow(/version 7 is not one/);
    await migrator.down();
    await expect(migrator.down()).rejects.toThrow(/oldest version/);
    expect((await migrator.up({ to: '1.0' })).steps).toEqual([]);
  });

  it('a refused plan creates nothing: no migrations folder, no lock, the store byte-identical', async () => {
    const root = await freshDir();
    await writeStoreVersion(root, '2');
    const before = await snapshotTree(root);
    const migrator = await Migrator.open(options(root, { backup: async () => 'none' }));
    await expect(migrator.down({ to: 999 })).rejects.toBeInstanceOf(MigrationPlanError);
    await expect(migrator.up({ to: 1 })).rejects.toBeInstanceOf(MigrationPlanError);
    await expect(migrator.up({ to: 7 })).rejects.toBeInstanceOf(MigrationPlanError);
    await expect(migrator.up({ to: 'x' })).rejects.toBeInstanceOf(MigrationPlanError);
    expect(await exists(join(root, '.vellum', 'migrations'))).toBe(false);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it('a migration naming a collection the store does not have is refused at open', async () => {
    const root = await freshDir();
    await expect(
      Migrator.open(options(root, { collections: { tasks: collections.tasks! } })),
    ).rejects.toMatchObject({
      code: 'VELLUM_INVALID_MIGRATIONS',
      message: expect.stringContaining('"notes"') as unknown,
    });
  });
});

describe('history', () => {
  it('every finished step is a line of history.jsonl', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const migrator = await Migrator.open(options(root, { backup: async () => '/b' }));
    await migrator.up();
    await migrator.down();
    const lines = (await readFile(join(root, '.vellum/migrations/history.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => [l.migration_id, l.direction, l.from_version, l.to_version])).toEqual([
      ['0002-priority', 'up', '1', '2'],
      ['0003-title-and-tag-list', 'up', '2', '3'],
      ['0003-title-and-tag-list', 'down', '3', '2'],
    ]);
    expect(lines[0]).toMatchObject({ documents: 6, backup: '/b', recovered: false });
  });
});
