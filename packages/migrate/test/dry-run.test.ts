import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Migrator, defineMigrations, type MigratorOptions } from '../src/index.js';
import { writeMarker } from '../src/marker.js';
import {
  collections,
  migrations,
  readDocs,
  registry,
  sampleNotes,
  sampleTasks,
  seedStore,
} from './fixtures.js';
import { freshDir, snapshotTree } from './helpers.js';

function options(root: string, extra: Partial<MigratorOptions> = {}): MigratorOptions {
  return { root, registry, collections, ...extra };
}

describe('dry run', () => {
  it('up --dry-run reports every step and writes nothing: the store is byte-identical', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const before = await snapshotTree(root, { mtimes: true });
    const migrator = await Migrator.open(options(root));
    const report = await migrator.up({ dryRun: true });
    expect(await snapshotTree(root, { mtimes: true })).toEqual(before);

    expect(report).toMatchObject({ dryRun: true, direction: 'up', from: '1', to: '3' });
    const [first, second] = report.steps;
    expect(first?.backup).toBeUndefined();
    expect(first?.collections).toEqual([
      {
        collection: 'notes',
        documents: 3,
        migrated: 3,
        changed: 0,
        skipped: 0,
        samples: [],
      },
      {
        collection: 'tasks',
        documents: 3,
        migrated: 3,
        changed: 3,
        skipped: 0,
        samples: [
          {
            id: 'TASK-001-001',
            from: '1',
            to: '2',
            changes: [{ path: ['priority'], kind: 'added', after: 'medium' }],
          },
          {
            id: 'TASK-001-002',
            from: '1',
            to: '2',
            changes: [{ path: ['priority'], kind: 'added', after: 'medium' }],
          },
          {
            id: 'TASK-001-003',
            from: '1',
            to: '2',
            changes: [{ path: ['priority'], kind: 'added', after: 'high' }],
          },
        ],
      },
    ]);
    // The second step sees the first one's results.
    const tasks = second?.collections.find((c) => c.collection === 'tasks');
    expect(tasks?.samples[0]?.changes).toEqual([
      { path: ['content'], kind: 'removed', before: 'Design the login page' },
      { path: ['title'], kind: 'added', after: 'Design the login page' },
    ]);
    const notes = second?.collections.find((c) => c.collection === 'notes');
    expect(notes?.samples[0]?.changes).toEqual([
      { path: ['tags'], kind: 'changed', before: 'a,b', after: ['a', 'b'] },
    ]);
    expect((await migrator.status()).current).toBe('1');
  });

  it('down --dry-run on a migrated store writes nothing either', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const migrator = await Migrator.open(options(root, { backup: async () => 'none' }));
    await migrator.up();
    const before = await snapshotTree(root, { mtimes: true });
    const report = await migrator.down({ to: 1, dryRun: true });
    expect(await snapshotTree(root, { mtimes: true })).toEqual(before);
    expect(report.steps.map((s) => [s.direction, s.from, s.to])).toEqual([
      ['down', '3', '2'],
      ['down', '2', '1'],
    ]);
    expect(report.steps[1]?.collections.find((c) => c.collection === 'tasks')).toMatchObject({
      migrated: 3,
      changed: 3,
    });
  });

  it('reads a folder Vellum never opened (spec-000 files only) without creating anything', async () => {
    const root = await freshDir();
    await mkdir(join(root, 'tasks/active'), { recursive: true });
    for (const task of sampleTasks.filter((t) => t.status !== 'completed'))
      await writeFile(join(root, 'tasks/active', `${String(task.id)}.json`), JSON.stringify(task));
    await writeFile(join(root, 'notes.json'), JSON.stringify(sampleNotes));
    await writeFile(join(root, 'version'), '1\n');
    const before = await snapshotTree(root, { mtimes: true });
    const report = await (await Migrator.open(options(root))).up({ to: 2, dryRun: true });
    expect(await snapshotTree(root, { mtimes: true })).toEqual(before);
    expect(report.steps[0]?.collections.map((c) => [c.collection, c.documents, c.changed])).toEqual(
      [
        ['notes', 3, 0],
        ['tasks', 2, 2],
      ],
    );
  });

  it('a dry run with a failing transform fails as the run would, and still writes nothing', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const before = await snapshotTree(root, { mtimes: true });
    const broken = defineMigrations([
      {
        ...(migrations[1] as (typeof migrations)[number]),
        up: {
          tasks: () => {
            throw new Error('boom');
          },
        },
      },
    ]);
    const migrator = await Migrator.open(options(root, { registry: broken }));
    await expect(migrator.up({ dryRun: true })).rejects.toMatchObject({
      code: 'VELLUM_MIGRATION_FAILED',
      documentId: 'TASK-001-001',
    });
    expect(await snapshotTree(root, { mtimes: true })).toEqual(before);
  });

  it('says when an interrupted step would be recovered first', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const migrator = await Migrator.open(options(root));
    await writeMarker(root, {
      format: 1,
      migration_id: '0002-priority',
      direction: 'up',
      from_version: '1',
      to_version: '2',
      migrated_at: '2026-11-21T10:00:00.000Z',
      phase: 'documents',
      backup: '/somewhere',
      collections: ['notes', 'tasks'],
      pid: 1,
    });
    const before = await snapshotTree(root, { mtimes: true });
    const report = await migrator.up({ dryRun: true });
    expect(report.interrupted).toMatchObject({
      migrationId: '0002-priority',
      backup: '/somewhere',
    });
    expect(await snapshotTree(root, { mtimes: true })).toEqual(before);
    expect((await readDocs(root)).tasks).toHaveLength(3);
  });
});
