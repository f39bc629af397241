import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StandardSchemaV1 } from '@vellum/atomic-io';
import type { Layout, LayoutState } from '../layout.js';

/** The document every suite writes: a layout under test stores these. */
export interface SuiteDoc {
  id: string;
  status: string;
  title: string;
  n: number;
}

/** `SuiteDoc`'s schema, written by hand: the suite depends on no validation library. */
export const suiteSchema: StandardSchemaV1<unknown, SuiteDoc> = {
  '~standard': {
    version: 1,
    vendor: 'vellum-test-suite',
    validate(value) {
      const doc = value as Partial<SuiteDoc> | null;
      if (typeof doc !== 'object' || doc === null)
        return { issues: [{ message: 'not an object' }] };
      const issues: { message: string; path: string[] }[] = ['id', 'status', 'title']
        .filter((key) => typeof doc[key as keyof SuiteDoc] !== 'string')
        .map((key) => ({ message: 'must be a string', path: [key] }));
      if (typeof doc.n !== 'number') issues.push({ message: 'must be a number', path: ['n'] });
      return issues.length > 0 ? { issues } : { value: doc as SuiteDoc };
    },
  },
};

/** `count` documents `DOC-000`, `DOC-001`... */
export function suiteDocs(count: number, status = 'pending'): SuiteDoc[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `DOC-${String(i).padStart(3, '0')}`,
    status,
    title: `title ${i}`,
    n: i,
  }));
}

/** A layout's view of documents held in a map. */
export class MemoryState implements LayoutState<SuiteDoc> {
  readonly docs = new Map<string, SuiteDoc>();
  entries(): Iterable<readonly [string, SuiteDoc]> {
    return this.docs.entries();
  }
  get(id: string): SuiteDoc | undefined {
    return this.docs.get(id);
  }
  *jsonEntries(): Iterable<readonly [string, string]> {
    for (const [id, doc] of this.docs) yield [id, JSON.stringify(doc)];
  }
}

/** Writes `next` in place of the state's documents, telling the layout what changed. */
export async function writeAll(
  layout: Layout<SuiteDoc>,
  root: string,
  state: MemoryState,
  next: SuiteDoc[],
): Promise<string[]> {
  const changed = new Map<string, SuiteDoc[]>();
  const nextIds = new Set(next.map((doc) => doc.id));
  for (const [id, doc] of state.docs) if (!nextIds.has(id)) changed.set(id, [doc]);
  for (const doc of next) {
    const before = state.docs.get(doc.id);
    if (JSON.stringify(before) !== JSON.stringify(doc))
      changed.set(doc.id, before === undefined ? [] : [before]);
  }
  for (const id of changed.keys()) if (!nextIds.has(id)) state.docs.delete(id);
  for (const doc of next) state.docs.set(doc.id, doc);
  return layout.write(root, state, changed);
}

/**
 * Changes the files the way a person or another tool would: through the
 * layout, outside any collection. `edit` maps the documents on disk to the
 * ones wanted.
 */
export async function editByHand(
  layout: Layout<SuiteDoc>,
  root: string,
  edit: (docs: SuiteDoc[]) => SuiteDoc[],
): Promise<void> {
  const state = new MemoryState();
  for (const entry of (await layout.read(root)).entries)
    state.docs.set(entry.id, entry.doc as SuiteDoc);
  await writeAll(layout, root, state, edit([...state.docs.values()]));
}

/** Temp folders for one suite, removed after each test with what was registered to close. */
export class Scratch {
  readonly #dirs: string[] = [];
  readonly #closers: (() => Promise<void>)[] = [];

  async dir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'vellum-suite-'));
    this.#dirs.push(dir);
    return dir;
  }

  /** Runs `close` after the test, before its folder is removed. */
  onCleanup(close: () => Promise<void>): void {
    this.#closers.push(close);
  }

  async cleanup(): Promise<void> {
    for (const close of this.#closers.splice(0).reverse()) await close().catch(() => undefined);
    await Promise.all(this.#dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Every file under `dir`, relative, sorted; lock files, which come and go, left out. */
export async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (current: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (entry.name.includes('.lock')) continue;
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await walk(join(current, entry.name), path);
      else out.push(path);
    }
  };
  await walk(dir, '');
  return out.sort();
}
