import { Collection, arrayFileLayout, perDocumentLayout } from '@vellum/collection';
import { z } from 'zod';
import {
  defineMigrations,
  writeStoreVersion,
  type MigrationCollectionSetup,
  type Doc,
  type MigrationDefinition,
} from '../src/index.js';
import { random } from './helpers.js';

/**
 * Version 1: tasks `{ id, content, status, metadata }`, notes `{ id, text, tags: "a,b" }`.
 * 2 adds `priority` to tasks; 3 renames `content` to `title` and makes notes' tags an array.
 */
export const migrations: MigrationDefinition[] = [
  {
    id: '0003-title-and-tag-list',
    from: 2,
    to: 3,
    description: 'tasks: content → title; notes: tags "a,b" → ["a", "b"]',
    up: {
      tasks: ({ content, ...rest }) => ({ ...rest, title: content }),
      notes: (note) => ({ ...note, tags: String(note.tags).split(',') }),
    },
    down: {
      tasks: ({ title, ...rest }) => ({ ...rest, content: title }),
      notes: (note) => ({ ...note, tags: (note.tags as string[]).join(',') }),
    },
  },
  {
    id: '0002-priority',
    from: 1,
    to: 2,
    description: 'tasks get a priority',
    up: { tasks: (task) => ({ ...task, priority: task.status === 'blocked' ? 'high' : 'medium' }) },
    down: {
      tasks: ({ priority: _priority, ...rest }) => rest,
    },
  },
];

export const registry = defineMigrations(migrations);

export const collections: Record<string, MigrationCollectionSetup> = {
  tasks: {
    layout: perDocumentLayout<Doc>({
      dir: 'tasks',
      pathOf: (task, id) => `${task.status === 'completed' ? 'completed' : 'active'}/${id}.json`,
    }),
  },
  notes: { layout: arrayFileLayout<Doc>({ file: 'notes.json' }) },
};

/** The same store with tasks in one JSON array: one file write per flush, for the bigger runs. */
export const arrayCollections: Record<string, MigrationCollectionSetup> = {
  tasks: { layout: arrayFileLayout<Doc>({ file: 'tasks.json' }) },
  notes: { layout: arrayFileLayout<Doc>({ file: 'notes.json' }) },
};

export const sampleTasks: Doc[] = [
  {
    id: 'TASK-001-001',
    content: 'Design the login page',
    status: 'pending',
    metadata: { created_at: '2025-01-11T10:00:00Z', story_id: 'S1' },
  },
  {
    id: 'TASK-001-002',
    content: 'Ship it',
    status: 'completed',
    metadata: { created_at: '2025-01-11T10:00:01Z', story_id: 'S1', line_number: 12 },
  },
  {
    id: 'TASK-001-003',
    content: 'Blocked on review — "quoted" ünïcode',
    status: 'blocked',
    metadata: {},
  },
];

export const sampleNotes: Doc[] = [
  { id: 'n1', text: 'first', tags: 'a,b' },
  { id: 'n2', text: '', tags: '' },
  { id: 'n3', text: 'commas, inside', tags: 'x,,y,' },
];

const STATUSES = ['pending', 'in_progress', 'completed', 'blocked'];
const WORDS = ['', 'a', 'login', 'ünï', '"q"', 'a,b', ' ', '\n', '💾', 'null'];

/** Random JSON values of a few levels: what documents' free-form members hold. */
function value(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 1 ? 5 : 7));
  const word = (): string => WORDS[Math.floor(next() * WORDS.length)] ?? '';
  switch (pick) {
    case 0:
      return word();
    case 1:
      return Math.round(next() * 1e6) / 100;
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
      return `${word()}${word()}`;
    case 5:
      return Array.from({ length: Math.floor(next() * 3) }, () => value(next, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(next() * 3) }, (_, i) => [
          `k${i}${word()}`,
          value(next, depth + 1),
        ]),
      );
  }
}

/** Version-1 tasks and notes with random content, reproducible from `seed`. */
export function randomDocs(seed: number, count: number): { tasks: Doc[]; notes: Doc[] } {
  const next = random(seed);
  const word = (): string => WORDS[Math.floor(next() * WORDS.length)] ?? '';
  const tasks = Array.from({ length: count }, (_, i) => ({
    id: `TASK-${String(seed % 1000).padStart(3, '0')}-${String(i).padStart(4, '0')}`,
    content: `${word()} task ${i} ${word()}`,
    status: STATUSES[Math.floor(next() * STATUSES.length)] ?? 'pending',
    metadata: { extra: value(next, 1), story_id: word() },
    ...(next() < 0.3 ? { notes: value(next, 1) } : {}),
  }));
  const notes = Array.from({ length: Math.ceil(count / 3) }, (_, i) => ({
    id: `note-${i}`,
    text: word(),
    tags: Array.from({ length: Math.floor(next() * 4) }, word).join(','),
  }));
  return { tasks, notes };
}

const AnyDoc = z.record(z.string(), z.unknown());

async function open(
  root: string,
  name: string,
  setups: Record<string, MigrationCollectionSetup>,
): Promise<Collection<Doc>> {
  const setup = setups[name];
  if (setup === undefined) throw new Error(`no collection ${name}`);
  return Collection.open<Doc>({ ...setup, root, name, schema: AnyDoc });
}

/** A store at `version`: documents stamped with it, and its version file. */
export async function seedStore(
  root: string,
  docs: { tasks: Doc[]; notes: Doc[] },
  version: string | null = '1',
  setups: Record<string, MigrationCollectionSetup> = collections,
): Promise<void> {
  for (const name of ['tasks', 'notes'] as const) {
    const collection = await open(root, name, setups);
    const stamped = docs[name].map((doc) => (version === null ? doc : { version, ...doc }));
    if (stamped.length > 0) await collection.batch(stamped.map((doc) => ({ type: 'put', doc })));
    await collection.close();
  }
  if (version !== null) await writeStoreVersion(root, version);
}

/** Every document of both collections, as the application would read them. */
export async function readDocs(
  root: string,
  setups: Record<string, MigrationCollectionSetup> = collections,
): Promise<{ tasks: Doc[]; notes: Doc[] }> {
  const out: { tasks: Doc[]; notes: Doc[] } = { tasks: [], notes: [] };
  for (const name of ['tasks', 'notes'] as const) {
    const collection = await open(root, name, setups);
    out[name] = (await collection.query({ limit: 100_000 })).items;
    await collection.close();
  }
  return out;
}

/** A document without `_migration`, for comparing data across a round trip. */
export function withoutStamp(doc: Doc): Doc {
  const { _migration: _stamp, ...rest } = doc;
  return rest;
}
