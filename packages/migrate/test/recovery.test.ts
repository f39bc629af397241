import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MigrationInProgressError,
  Migrator,
  checkStoreVersion,
  defineMigrations,
  readStoreVersion,
  writeStoreVersion,
  type MigratorOptions,
  type StoreHookContext,
} from '../src/index.js';
import { openForMigration, readEntries } from '../src/collections.js';
import { markerPath, writeMarker, type Marker } from '../src/marker.js';
import { planCollectionStep } from '../src/step.js';
import {
  collections,
  migrations,
  readDocs,
  registry,
  sampleNotes,
  sampleTasks,
  seedStore,
} from './fixtures.js';
import { exists, freshDir } from './helpers.js';

const MIGRATED_AT = '2026-11-21T10:00:00.000Z';
const marker: Marker = {
  format: 1,
  migration_id: '0003-title-and-tag-list',
  direction: 'up',
  from_version: '2',
  to_version: '3',
  migrated_at: MIGRATED_AT,
  phase: 'documents',
  backup: '/backups/b1',
  collections: ['notes', 'tasks'],
  pid: 4242,
};

function options(root: string, extra: Partial<MigratorOptions> = {}): MigratorOptions {
  return { root, registry, collections, backup: async () => 'none', ...extra };
}

/** A store at 2 whose migration to 3 was killed: the marker is written, nothing more. */
async function interrupted(root: string): Promise<void> {
  await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
  await (await Migrator.open(options(root))).up({ to: 2 });
  await writeMarker(root, marker);
}

describe('an interrupted step', () => {
  it('applications are told to wait: checkStoreVersion throws MigrationInProgressError', async () => {
    const root = await freshDir();
    await interrupted(root);
    const error = await checkStoreVersion(root, registry).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationInProgressError);
    expect(error).toMatchObject({ code: 'VELLUM_MIGRATION_IN_PROGRESS', path: markerPath(root) });
    expect((error as Error).message).toContain('0003-title-and-tag-list (up 2 → 3');
    expect((error as Error).message).toContain('/backups/b1');
    expect((await (await Migrator.open(options(root))).status()).interrupted).toBeUndefined();
  });

  it('with no document committed is abandoned at open: old version, marker gone, data untouched', async () => {
    const root = await freshDir();
    await interrupted(root);
    const before = await readDocs(root);
    const migrator = await Migrator.open(options(root));
    expect(migrator.recovered).toEqual({
      migrationId: '0003-title-and-tag-list',
      direction: 'up',
      from: '2',
      to: '3',
      outcome: 'abandoned',
      version: '2',
      backup: '/backups/b1',
    });
    expect(await readStoreVersion(root)).toBe('2');
    expect(await exists(markerPath(root))).toBe(false);
    expect(await readDocs(root)).toEqual(before);
  });

  it('with one collection committed is finished: the others are migrated, the hook runs again, the version moves', async () => {
    const root = await freshDir();
    const hookCalls: Pick<StoreHookContext, 'direction' | 'resumed'>[] = [];
    const withHook = defineMigrations(
      migrations.map((m) =>
        m.id === marker.migration_id
          ? {
              ...m,
              store: {
                up: ({ direction, resumed }: StoreHookContext) =>
                  void hookCalls.push({ direction, resumed }),
                down: () => undefined,
              },
            }
          : m,
      ),
    );
    await interrupted(root);
    // The killed run had committed tasks (one transaction) but not notes.
    const tasks = await openForMigration(root, 'tasks', collections.tasks!);
    const plan = await planCollectionStep({
      collection: 'tasks',
      idField: 'id',
      entries: await readEntries(tasks, 'id'),
      step: withHook.path('2', '3')[0]!,
      registry: withHook,
      migratedAt: MIGRATED_AT,
      samples: 0,
    });
    await tasks.batch(plan.updates.map((u) => ({ type: 'put', doc: u.after })));
    await tasks.close();

    const migrator = await Migrator.open(options(root, { registry: withHook }));
    expect(migrator.recovered).toMatchObject({ outcome: 'finished', version: '3' });
    expect(hookCalls).toEqual([{ direction: 'up', resumed: true }]);
    expect(await readStoreVersion(root)).toBe('3');
    const docs = await readDocs(root);
    expect([...docs.tasks, ...docs.notes].every((d) => d.version === '3')).toBe(true);
    // Every document carries the interrupted run's stamp: one step, finished.
    expect(
      [...docs.tasks, ...docs.notes].every(
        (d) => (d._migration as { migrated_at: string }).migrated_at === MIGRATED_AT,
      ),
    ).toBe(true);
    const history = (await readFile(join(root, '.vellum/migrations/history.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { recovered: boolean; documents: number });
    expect(history.at(-1)).toMatchObject({ recovered: true, documents: 3 });
  });

  it('whose version file was already written only loses its marker', async () => {
    const root = await freshDir();
    await interrupted(root);
    await writeStoreVersion(root, '3');
    const migrator = await Migrator.open(options(root));
    expect(migrator.recovered).toMatchObject({ outcome: 'finished', version: '3' });
    expect(await exists(markerPath(root))).toBe(false);
  });

  it('that this code cannot settle refuses to open and says what to do', async () => {
    const root = await freshDir();
    await interrupted(root);
    await writeMarker(root, { ...marker, migration_id: '0009-from-the-future' });
    await expect(Migrator.open(options(root))).rejects.toThrow(
      /does not have that migration: finish it with the code that started it, or restore the backup.*\/backups\/b1/,
    );
    await writeMarker(root, marker);
    await writeStoreVersion(root, '1');
    await expect(Migrator.open(options(root))).rejects.toThrow(
      /version file says 1, neither 2 nor 3/,
    );
  });

  it('is settled by up() too, before it plans', async () => {
    const root = await freshDir();
    await seedStore(root, { tasks: sampleTasks, notes: sampleNotes });
    const migrator = await Migrator.open(options(root));
    await migrator.up({ to: 2 });
    // Another process started 2 → 3 after this one opened, and died.
    await writeMarker(root, marker);
    const report = await migrator.up();
    expect(report.recovered).toMatchObject({ outcome: 'abandoned', version: '2' });
    expect(report.from).toBe('2');
    expect(report.steps.map((s) => s.migrationId)).toEqual(['0003-title-and-tag-list']);
    expect(await readStoreVersion(root)).toBe('3');
  });
});
