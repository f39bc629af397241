import { readFile, stat, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { Layout, LayoutState } from '../src/index.js';
import { freshDir, tree } from './helpers.js';

export interface Doc {
  id: string;
  status: string;
  title: string;
  n: number;
}

class MemoryState implements LayoutState<Doc> {
  readonly docs = new Map<string, Doc>();
  entries(): Iterable<readonly [string, Doc]> {
    return this.docs.entries();
  }
  get(id: string): Doc | undefined {
    return this.docs.get(id);
  }
  *jsonEntries(): Iterable<readonly [string, string]> {
    for (const [id, doc] of this.docs) yield [id, JSON.stringify(doc)];
  }
}

/** Writes `docs` replacing the previous state, telling the layout what changed. */
async function apply(
  layout: Layout<Doc>,
  root: string,
  state: MemoryState,
  next: Doc[],
): Promise<string[]> {
  const changed = new Map<string, Doc[]>();
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

function docs(count: number, status = 'pending'): Doc[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `DOC-${String(i).padStart(3, '0')}`,
    status,
    title: `title ${i}`,
    n: i,
  }));
}

async function readBack(layout: Layout<Doc>, root: string): Promise<Map<string, unknown>> {
  const read = await layout.read(root);
  expect(read.problems).toEqual([]);
  return new Map(read.entries.map((entry) => [entry.id, entry.doc]));
}

/**
 * The conformance suite every materialized layout must pass. `corrupt`
 * damages one of the layout's files so that the read must report it.
 */
export function describeLayout(name: string, makeLayout: () => Layout<Doc>): void {
  describe(`layout conformance: ${name}`, () => {
    it('reads nothing from an empty root', async () => {
      const root = await freshDir();
      expect(await makeLayout().read(root)).toEqual({ entries: [], problems: [] });
      expect(await makeLayout().files(root)).toEqual([]);
    });

    it('round-trips documents', async () => {
      const root = await freshDir();
      const layout = makeLayout();
      const state = new MemoryState();
      await apply(layout, root, state, docs(5));
      const back = await readBack(layout, root);
      expect(new Map([...back].sort())).toEqual(new Map(docs(5).map((doc) => [doc.id, doc])));
      const read = await layout.read(root);
      for (const entry of read.entries) expect(await layout.files(root)).toContain(entry.file);
    });

    it('applies updates and deletes', async () => {
      const root = await freshDir();
      const layout = makeLayout();
      const state = new MemoryState();
      await apply(layout, root, state, docs(4));
      const next = docs(4).slice(1);
      next[0] = { ...next[0]!, status: 'completed', title: 'changed' };
      await apply(layout, root, state, next);
      const back = await readBack(layout, root);
      expect([...back.keys()].sort()).toEqual(next.map((doc) => doc.id).sort());
      expect(back.get(next[0]?.id ?? '')).toEqual(next[0]);
    });

    it('writes the same bytes for the same state, and leaves no temp files', async () => {
      const first = await freshDir();
      const second = await freshDir();
      await apply(makeLayout(), first, new MemoryState(), docs(3));
      await apply(makeLayout(), second, new MemoryState(), docs(3));
      const files = await tree(first);
      expect(await tree(second)).toEqual(files);
      for (const file of files) {
        expect(await readFile(`${second}/${file}`, 'utf8')).toBe(
          await readFile(`${first}/${file}`, 'utf8'),
        );
      }
      expect(files.some((file) => file.includes('vellum-tmp'))).toBe(false);
    });

    it('keeps order when it says it is ordered', async () => {
      const root = await freshDir();
      const layout = makeLayout();
      const reversed = docs(6).reverse();
      await apply(layout, root, new MemoryState(), reversed);
      const ids = (await layout.read(root)).entries.map((entry) => entry.id);
      if (layout.capabilities.ordered) expect(ids).toEqual(reversed.map((doc) => doc.id));
      else expect(ids.sort()).toEqual(reversed.map((doc) => doc.id).sort());
    });

    it('touches only the changed document when it is per-document', async () => {
      const root = await freshDir();
      const layout = makeLayout();
      const state = new MemoryState();
      await apply(layout, root, state, docs(3));
      const before = new Map<string, number>();
      for (const file of await layout.files(root)) before.set(file, (await stat(file)).ino);
      const next = docs(3);
      next[1] = { ...next[1]!, title: 'only this one' };
      const touched = await apply(layout, root, state, next);
      if (layout.capabilities.perDocument) {
        expect(touched).toHaveLength(1);
        let replaced = 0;
        for (const file of await layout.files(root))
          if ((await stat(file)).ino !== before.get(file)) replaced++;
        expect(replaced).toBe(1);
      } else {
        expect(touched.length).toBeGreaterThanOrEqual(1);
      }
    });

    it('reports a corrupt file with its path instead of dropping it silently', async () => {
      const root = await freshDir();
      const layout = makeLayout();
      await apply(layout, root, new MemoryState(), docs(3));
      const [file] = await layout.files(root);
      const original = await readFile(file!, 'utf8');
      await writeFile(file!, original.slice(0, Math.floor(original.length / 2)));
      const read = await layout.read(root);
      expect(read.problems.length).toBeGreaterThan(0);
      expect(read.problems[0]).toMatchObject({ code: 'VELLUM_CORRUPT_FILE', path: file });
      expect(await readFile(file!, 'utf8')).toBe(
        original.slice(0, Math.floor(original.length / 2)),
      );
    });
  });
}
