import { readFile, stat, writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Layout } from '../layout.js';
import { MemoryState, Scratch, suiteDocs, tree, writeAll, type SuiteDoc } from './support.js';

async function readBack(layout: Layout<SuiteDoc>, root: string): Promise<Map<string, unknown>> {
  const read = await layout.read(root);
  expect(read.problems).toEqual([]);
  return new Map(read.entries.map((entry) => [entry.id, entry.doc]));
}

/** What every layout must do with its files, on its own (no collection). */
export function describeLayoutFiles(name: string, makeLayout: () => Layout<SuiteDoc>): void {
  describe(`layout conformance: ${name}`, () => {
    const scratch = new Scratch();
    afterEach(() => scratch.cleanup());

    it('reads nothing from an empty root', async () => {
      const root = await scratch.dir();
      expect(await makeLayout().read(root)).toEqual({ entries: [], problems: [] });
      expect(await makeLayout().files(root)).toEqual([]);
    });

    it('round-trips documents', async () => {
      const root = await scratch.dir();
      const layout = makeLayout();
      await writeAll(layout, root, new MemoryState(), suiteDocs(5));
      const back = await readBack(layout, root);
      expect(new Map([...back].sort())).toEqual(new Map(suiteDocs(5).map((doc) => [doc.id, doc])));
      const read = await layout.read(root);
      for (const entry of read.entries) expect(await layout.files(root)).toContain(entry.file);
    });

    it('applies updates and deletes', async () => {
      const root = await scratch.dir();
      const layout = makeLayout();
      const state = new MemoryState();
      await writeAll(layout, root, state, suiteDocs(4));
      const next = suiteDocs(4).slice(1);
      next[0] = { ...(next[0] as SuiteDoc), status: 'completed', title: 'changed' };
      await writeAll(layout, root, state, next);
      const back = await readBack(layout, root);
      expect([...back.keys()].sort()).toEqual(next.map((doc) => doc.id).sort());
      expect(back.get(next[0]?.id ?? '')).toEqual(next[0]);
    });

    it('writes the same bytes for the same state, and leaves no temp files', async () => {
      const first = await scratch.dir();
      const second = await scratch.dir();
      await writeAll(makeLayout(), first, new MemoryState(), suiteDocs(3));
      await writeAll(makeLayout(), second, new MemoryState(), suiteDocs(3));
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
      const root = await scratch.dir();
      const layout = makeLayout();
      const reversed = suiteDocs(6).reverse();
      await writeAll(layout, root, new MemoryState(), reversed);
      const ids = (await layout.read(root)).entries.map((entry) => entry.id);
      if (layout.capabilities.ordered) expect(ids).toEqual(reversed.map((doc) => doc.id));
      else expect(ids.sort()).toEqual(reversed.map((doc) => doc.id).sort());
    });

    it('touches only the changed document when it is per-document', async () => {
      const root = await scratch.dir();
      const layout = makeLayout();
      const state = new MemoryState();
      await writeAll(layout, root, state, suiteDocs(3));
      const before = new Map<string, number>();
      for (const file of await layout.files(root)) before.set(file, (await stat(file)).ino);
      const next = suiteDocs(3);
      next[1] = { ...(next[1] as SuiteDoc), title: 'only this one' };
      const touched = await writeAll(layout, root, state, next);
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
      const root = await scratch.dir();
      const layout = makeLayout();
      await writeAll(layout, root, new MemoryState(), suiteDocs(3));
      const [file] = await layout.files(root);
      if (file === undefined) throw new Error('the layout wrote no file');
      const original = await readFile(file, 'utf8');
      await writeFile(file, original.slice(0, Math.floor(original.length / 2)));
      const read = await layout.read(root);
      expect(read.problems.length).toBeGreaterThan(0);
      expect(read.problems[0]).toMatchObject({ code: 'VELLUM_CORRUPT_FILE', path: file });
      expect(await readFile(file, 'utf8')).toBe(original.slice(0, Math.floor(original.length / 2)));
    });
  });
}
