import pc from 'picocolors';
import type { MigrationReport, Migrator } from '@vellum/migrate';
import type { CollectionSetup } from '@vellum/tasks';
import type { Context } from '../context.js';
import { emit } from '../output.js';
import { requireTaskStore } from './open.js';

/** A migrator for the `.ap-state` store, opening its collections exactly as the store does. */
async function migrator(context: Context): Promise<Migrator> {
  await requireTaskStore(context);
  const { Migrator, defineCollection } = await import('@vellum/migrate');
  const { TASK_STORE_MIGRATIONS, taskStoreCollections } = await import('@vellum/tasks');
  const setups = taskStoreCollections();
  return Migrator.open({
    root: context.tasksDir,
    registry: TASK_STORE_MIGRATIONS,
    versionIfMissing: 1,
    lockTimeout: context.lockTimeout,
    collections: Object.fromEntries(
      (Object.entries(setups) as [string, CollectionSetup<unknown>][]).map(([name, setup]) => [
        name,
        defineCollection(setup),
      ]),
    ),
  });
}

export async function status(context: Context): Promise<void> {
  const result = await (await migrator(context)).status();
  emit(context, result, () =>
    [
      `version ${pc.bold(result.current)}${result.versionFile === 'missing' ? pc.dim(' (no version file)') : ''}, latest ${result.latest}`,
      result.upToDate
        ? pc.green('up to date')
        : `pending: ${result.pending.map((m) => `${m.id} (${m.from} -> ${m.to})`).join(', ')}`,
    ].join('\n'),
  );
}

function describe(report: MigrationReport, dryRun: boolean): string {
  if (report.steps.length === 0) return `nothing to migrate: the store is at version ${report.to}`;
  return report.steps
    .map((step) => {
      const changed = step.collections
        .map((c) => `${c.collection}: ${c.changed} of ${c.documents} changed`)
        .join(', ');
      return `${dryRun ? pc.yellow('would run') : pc.green('ran')} ${step.migrationId} (${step.from} -> ${step.to}) ${changed}${step.backup === undefined ? '' : pc.dim(` backup: ${step.backup}`)}`;
    })
    .join('\n');
}

async function run(
  direction: 'up' | 'down',
  context: Context,
  options: Record<string, unknown>,
): Promise<void> {
  const dryRun = options.dryRun === true;
  const to = options.to === undefined ? {} : { to: options.to as string };
  const m = await migrator(context);
  const report = await (direction === 'up' ? m.up({ ...to, dryRun }) : m.down({ ...to, dryRun }));
  emit(context, report, () => describe(report, dryRun));
}

export async function up(
  context: Context,
  _args: string[],
  options: Record<string, unknown>,
): Promise<void> {
  await run('up', context, options);
}

export async function down(
  context: Context,
  _args: string[],
  options: Record<string, unknown>,
): Promise<void> {
  await run('down', context, options);
}
