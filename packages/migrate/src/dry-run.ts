import { copyFile, mkdir, mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { isTempName, readdirOrEmpty } from '@vellum/atomic-io';
import { Collection } from '@vellum/collection';
import {
  anyDocument,
  idFieldOf,
  readEntries,
  type MigrationCollectionSetup,
  type StoredEntry,
} from './collections.js';
import { MigrationPlanError } from './errors.js';
import type { MigrationRegistry, Step } from './registry.js';
import { planCollectionStep, type CollectionReport } from './step.js';

/** Copies a file keeping its times: the collection compares files' mtimes with its checkpoint's. */
async function copyKeepingTimes(source: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await copyFile(source, target);
  const info = await stat(source);
  await utimes(target, info.atime, info.mtime);
}

/** Copies a folder's files, leaving out locks (a live holder's would look held) and temp files. */
async function copyTree(source: string, target: string, skip: string | undefined): Promise<void> {
  for (const entry of await readdirOrEmpty(source, { withFileTypes: true })) {
    const from = join(source, entry.name);
    if (from === skip || entry.name.includes('.lock') || isTempName(entry.name)) continue;
    if (entry.isDirectory()) await copyTree(from, join(target, entry.name), skip);
    else if (entry.isFile()) await copyKeepingTimes(from, join(target, entry.name));
  }
}

/**
 * Every document of a collection, read without writing a byte to the store:
 * opening a collection writes (its checkpoint, an import, a replayed tail), so
 * its files, state and journal are copied to a temporary folder and the copy
 * is opened there, the way the real run would open the original.
 * @throws {MigrationPlanError} a document file lies outside the root.
 */
async function readWithoutWriting(
  root: string,
  name: string,
  setup: MigrationCollectionSetup,
  tmpDir: string,
): Promise<StoredEntry[]> {
  // The collection's own defaults, mirrored: its state is found where it would look.
  const stateDir = resolve(root, setup.stateDir ?? `.vellum/${name}`);
  const journalDir = resolve(root, setup.journalDir ?? `.vellum/${name}/wal`);
  const temp = await mkdtemp(join(tmpDir, 'vellum-migrate-dry-run-'));
  try {
    const copyRoot = join(temp, 'root');
    await mkdir(copyRoot);
    for (const file of await setup.layout.files(root)) {
      const inRoot = relative(root, file);
      if (inRoot.startsWith('..') || isAbsolute(inRoot))
        throw new MigrationPlanError(`${name}: document file ${file} is outside the store's root`);
      await copyKeepingTimes(file, join(copyRoot, inRoot));
    }
    await copyTree(stateDir, join(temp, 'state'), journalDir);
    await copyTree(journalDir, join(temp, 'journal'), undefined);
    const copy = await Collection.open({
      ...setup,
      root: copyRoot,
      name,
      schema: anyDocument,
      stateDir: join(temp, 'state'),
      journalDir: join(temp, 'journal'),
      // Derived data only; the copy is thrown away.
      indexes: undefined,
      fullText: undefined,
    });
    try {
      return await readEntries(copy, idFieldOf(setup));
    } finally {
      await copy.close();
    }
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/** A step's would-be effect, as a dry run reports it. */
export interface DryRunStep {
  step: Step;
  collections: CollectionReport[];
}

/**
 * Simulates `steps` on copies of the collections, in memory, chaining each
 * step's results into the next. Writes nothing to the store.
 * @throws {MigrationFailedError} a document cannot be migrated (as the real run would fail).
 */
export async function simulateSteps(input: {
  root: string;
  registry: MigrationRegistry;
  collections: Readonly<Record<string, MigrationCollectionSetup>>;
  steps: readonly Step[];
  migratedAt: string;
  samples: number;
  tmpDir: string;
}): Promise<DryRunStep[]> {
  const current = new Map<string, StoredEntry[]>();
  for (const [name, setup] of Object.entries(input.collections))
    current.set(name, await readWithoutWriting(input.root, name, setup, input.tmpDir));
  const out: DryRunStep[] = [];
  for (const step of input.steps) {
    const reports: CollectionReport[] = [];
    for (const [name, setup] of Object.entries(input.collections)) {
      const entries = current.get(name) ?? [];
      const plan = await planCollectionStep({
        collection: name,
        idField: idFieldOf(setup),
        entries,
        step,
        registry: input.registry,
        migratedAt: input.migratedAt,
        samples: input.samples,
      });
      reports.push(plan.report);
      const after = new Map(plan.updates.map((u) => [u.id, u.after]));
      current.set(
        name,
        entries.map((entry) => ({ ...entry, doc: after.get(entry.id) ?? entry.doc })),
      );
    }
    out.push({ step, collections: reports });
  }
  return out;
}
