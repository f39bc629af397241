import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Collection } from '@vellum/collection';
import { spawnNode } from '@vellum/test-utils';
import { z } from 'zod';
import {
  Migrator,
  defineMigrations,
  readStoreVersion,
  writeStoreVersion,
  type Doc,
  type MigrationRecoveryReport,
} from '../src/index.js';
import { applySteps } from '../src/document.js';
import { markerPath } from '../src/marker.js';
import {
  NOTES,
  TASKS,
  collections,
  hookFile,
  migrationDefinitions,
  seedDocs,
} from './children/kill-fixture.mjs';
import { withoutStamp } from './fixtures.js';
import { exists, freshDir, random } from './helpers.js';

const CHILD = join(import.meta.dirname, 'children', 'migrate.mjs');
const DIST = join(import.meta.dirname, '..', 'dist', 'index.js');
/** CPU per task in the child's transforms, so that kills can land while it plans (0.1 to 0.5 s for 2,000). */
const SLOW_MS = 0.05;
const registry = defineMigrations(migrationDefinitions());
const AnyDoc = z.record(z.string(), z.unknown());

/** Where the kill lands: right after a protocol point (the child blocks there), some ms after one, or at a random time. */
type Kill =
  | { at: string; expect: MigrationRecoveryReport['outcome'] | 'none' }
  | { after: string; withinMs: number }
  | { randomMs: number };

async function readCollections(root: string): Promise<{ tasks: Doc[]; notes: Doc[] }> {
  const out: { tasks: Doc[]; notes: Doc[] } = { tasks: [], notes: [] };
  for (const [name, setup] of Object.entries(collections())) {
    const collection = await Collection.open<Doc>({ ...setup, root, name, schema: AnyDoc });
    out[name as 'tasks' | 'notes'] = (await collection.query({ limit: 100_000 })).items;
    await collection.close();
  }
  return out;
}

async function seed(root: string): Promise<void> {
  const docs = seedDocs();
  for (const [name, setup] of Object.entries(collections())) {
    const collection = await Collection.open<Doc>({ ...setup, root, name, schema: AnyDoc });
    await collection.batch(docs[name as 'tasks' | 'notes'].map((doc) => ({ type: 'put', doc })));
    await collection.close();
  }
  await writeStoreVersion(root, '1');
}

/** The documents' data at each version: the seed, and the seed upgraded. */
function expectedAt(version: string): { tasks: Doc[]; notes: Doc[] } {
  const docs = seedDocs();
  if (version === '1') return docs;
  const steps = registry.path('1', '2');
  const up = (collection: string) => (doc: Doc) => ({
    ...applySteps(doc, steps, collection),
    version: '2',
  });
  return { tasks: docs.tasks.map(up('tasks')), notes: docs.notes.map(up('notes')) };
}

/** Runs the child and kills it as `kill` says. @returns the points it passed and whether SIGKILL ended it. */
async function runChild(
  root: string,
  direction: 'up' | 'down',
  kill: Kill,
  next: () => number,
): Promise<{ seen: string[]; killed: boolean; delay: number | undefined }> {
  const pauseAt = 'at' in kill ? kill.at : 'none';
  const seen: string[] = [];
  let delay: number | undefined;
  const child = spawnNode(CHILD, [root, direction, String(SLOW_MS), pauseAt, '10000'], {
    stdin: false,
    onLine: (line, self) => {
      seen.push(line);
      const killNow = (): void => self.kill('SIGKILL');
      if ('at' in kill && line === kill.at) killNow();
      if ('after' in kill && line === kill.after)
        setTimeout(killNow, (delay = next() * kill.withinMs));
      if ('randomMs' in kill && line === 'open')
        setTimeout(killNow, (delay = next() * kill.randomMs));
    },
  });
  const { code, signal } = await child.exited;
  if (signal !== 'SIGKILL' && code !== 0)
    throw new Error(`the child failed (${code}): ${child.stderr}`);
  return { seen, killed: signal === 'SIGKILL', delay };
}

describe('SIGKILL during a migration', () => {
  it(`${TASKS} tasks and ${NOTES} notes: after every kill the store reopens all old or all new, never a mix`, async () => {
    await expect(exists(DIST), 'build first: the child runs dist/').resolves.toBe(true);
    const root = await freshDir();
    await seed(root);
    const seedValue = Date.now() % 100_000;
    const next = random(seedValue);
    const schedule: Kill[] = [
      { at: 'backup', expect: 'none' },
      { at: 'marker', expect: 'abandoned' },
      { at: 'committed:notes', expect: 'finished' },
      { at: 'committed:tasks', expect: 'finished' },
      { at: 'store', expect: 'finished' },
      { at: 'version', expect: 'finished' },
      { after: 'marker', withinMs: 40 },
      { after: 'marker', withinMs: 40 },
      { after: 'backup', withinMs: 800 },
    ];
    let version = '1';
    const outcomes: string[] = [];
    for (const [i, kill] of schedule.entries()) {
      const direction = version === '1' ? 'up' : 'down';
      const run = await runChild(root, direction, kill, next);
      const context = `kill ${i} ${JSON.stringify(kill)} ${direction} from ${version}, delay ${run.delay}, seed ${seedValue}; child passed ${run.seen.join(' ')}`;

      // Reopening: the migrator settles whatever the kill left.
      const migrator = await Migrator.open({
        root,
        registry,
        collections: collections(),
        lockTimeout: 30_000,
      });
      const outcome = migrator.recovered?.outcome ?? 'none';
      if ('expect' in kill) expect(outcome, context).toBe(kill.expect);
      outcomes.push(run.killed ? outcome : 'not killed');

      const now = await readStoreVersion(root);
      expect(now === '1' || now === '2', context).toBe(true);
      version = now ?? '';
      const docs = await readCollections(root);
      expect(docs.tasks, context).toHaveLength(TASKS);
      expect(docs.notes, context).toHaveLength(NOTES);
      const versions = new Set([...docs.tasks, ...docs.notes].map((doc) => doc.version));
      expect([...versions], context).toEqual([version]);
      const expected = expectedAt(version);
      expect(docs.tasks.map(withoutStamp), context).toEqual(expected.tasks);
      expect(docs.notes.map(withoutStamp), context).toEqual(expected.notes);
      expect(await exists(hookFile(root)), context).toBe(version === '2');
      expect(await exists(markerPath(root)), context).toBe(false);
    }
    expect(outcomes).toContain('abandoned');
    expect(outcomes).toContain('finished');

    // And the store still migrates to the end.
    const last = await runChild(root, version === '1' ? 'up' : 'down', { randomMs: 1e9 }, next);
    expect(last.seen.at(-1)).toBe('finished');
    const final = version === '1' ? '2' : '1';
    expect(await readStoreVersion(root)).toBe(final);
    expect((await readCollections(root)).tasks.map(withoutStamp)).toEqual(expectedAt(final).tasks);
    // Each reopen may wait out a lock a kill left without its holder's name (see the fixture).
  }, 300_000);
});
