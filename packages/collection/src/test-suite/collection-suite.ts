import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Collection } from '../collection.js';
import type { Layout } from '../layout.js';
import type { CollectionOptions } from '../types.js';
import { Scratch, editByHand, suiteDocs, suiteSchema, writeAll, MemoryState } from './support.js';
import type { SuiteDoc } from './support.js';

/** What an implementation under test supports beyond its layout's declared capabilities. */
export interface SuiteSupports {
  /** Files changed by hand (through the layout, outside the collection) are adopted. Default true. */
  handEdits: boolean;
  /** A file cut short is kept aside and written again from the collection's state. Default true. */
  damagedFiles: boolean;
}

export type OpenCollection = (
  options: CollectionOptions<SuiteDoc>,
) => Promise<Collection<SuiteDoc>>;

/** Recovery and hand edits, through a collection stored in the layout. */
export function describeCollectionRecovery(
  name: string,
  makeLayout: () => Layout<SuiteDoc>,
  supports: SuiteSupports,
  open: OpenCollection,
): void {
  describe(`collection recovery and hand edits: ${name}`, () => {
    const scratch = new Scratch();
    afterEach(() => scratch.cleanup());
    const docs = suiteDocs(3);
    const [first, second, third] = docs as [SuiteDoc, SuiteDoc, SuiteDoc];

    async function openAt(root: string, autoClose = true): Promise<Collection<SuiteDoc>> {
      const collection = await open({
        root,
        name: 'docs',
        schema: suiteSchema,
        layout: makeLayout(),
        indexes: { status: { key: (doc) => doc.status } },
        // Files are written when a test says so (flush, close), not on a timer.
        flushDelayMs: 60_000,
      });
      if (autoClose) scratch.onCleanup(() => collection.close());
      return collection;
    }

    async function stored(root: string): Promise<Map<string, unknown>> {
      const read = await makeLayout().read(root);
      expect(read.problems).toEqual([]);
      return new Map(read.entries.map((entry) => [entry.id, entry.doc]));
    }

    async function seeded(root: string): Promise<void> {
      const writer = await openAt(root, false);
      await writer.batch(docs.map((doc) => ({ type: 'put', doc })));
      await writer.close();
    }

    it('recovers writes that were never materialized from the journal', async () => {
      const root = await scratch.dir();
      const crashed = await openAt(root);
      await crashed.put(first);
      await crashed.put(second);
      // Nothing flushed: as if the process died now.
      const reopened = await openAt(root);
      expect(reopened.report.replayed).toBeGreaterThan(0);
      expect(await reopened.get(second.id)).toEqual(second);
      await reopened.flush();
      expect(await stored(root)).toEqual(new Map([first, second].map((doc) => [doc.id, doc])));
    });

    it('reopens from the snapshot and replays what came after it', async () => {
      const root = await scratch.dir();
      await seeded(root);
      const crashed = await openAt(root);
      const { revision } = await crashed.patch(first.id, { title: 'after the snapshot' });
      const reopened = await openAt(root);
      expect(await reopened.getEntry(first.id)).toEqual({
        doc: { ...first, title: 'after the snapshot' },
        revision,
      });
      expect(await reopened.count()).toBe(3);
    });

    it('rebuilds from the journal when the snapshot is lost after compaction', async () => {
      const root = await scratch.dir();
      const writer = await openAt(root, false);
      await writer.batch(docs.map((doc) => ({ type: 'put', doc })));
      await writer.checkpoint();
      await writer.close();
      await rm(join(writer.stateDir, 'snapshot.jsonl'));
      const reopened = await openAt(root);
      expect(reopened.report.rebuilt?.from).toBe('journal');
      expect(await reopened.count()).toBe(3);
      expect(reopened.report.adopted).toEqual([]);
    });

    it.runIf(supports.handEdits)('adopts a hand edit made while closed', async () => {
      const root = await scratch.dir();
      await seeded(root);
      const edited = { ...second, title: 'edited by hand' };
      await editByHand(makeLayout(), root, (all) =>
        all.map((doc) => (doc.id === second.id ? edited : doc)),
      );
      const reopened = await openAt(root);
      expect(reopened.report.adopted.map((a) => [a.id, a.change])).toEqual([[second.id, 'put']]);
      expect(await reopened.get(second.id)).toEqual(edited);
      await reopened.close();
      expect((await stored(root)).get(second.id)).toEqual(edited);
    });

    it.runIf(supports.handEdits)('adopts a document deleted by hand while closed', async () => {
      const root = await scratch.dir();
      await seeded(root);
      await editByHand(makeLayout(), root, (all) => all.filter((doc) => doc.id !== third.id));
      const reopened = await openAt(root);
      expect(reopened.report.adopted.map((a) => [a.id, a.change])).toEqual([[third.id, 'delete']]);
      expect(await reopened.get(third.id)).toBeUndefined();
      expect(await reopened.count()).toBe(2);
    });

    it.runIf(supports.handEdits)(
      'adopts a hand edit made while open before a flush would overwrite it',
      async () => {
        const root = await scratch.dir();
        const collection = await openAt(root);
        await collection.batch(docs.slice(0, 2).map((doc) => ({ type: 'put', doc })));
        await collection.flush();
        const edited = { ...first, title: 'hand edit' };
        await editByHand(makeLayout(), root, (all) =>
          all.map((doc) => (doc.id === first.id ? edited : doc)),
        );
        await collection.put(third);
        await collection.flush();
        expect(await stored(root)).toEqual(
          new Map([edited, second, third].map((doc) => [doc.id, doc])),
        );
        expect(await collection.get(first.id)).toEqual(edited);
      },
    );

    it.runIf(supports.handEdits)(
      'keeps a file that fails the schema aside at import, and imports the rest',
      async () => {
        const root = await scratch.dir();
        const bad = { ...third, n: 'three' } as unknown as SuiteDoc;
        await writeAll(makeLayout(), root, new MemoryState(), [first, second, bad]);
        const imported = await openAt(root);
        expect(imported.report.imported).toBe(2);
        expect(imported.report.quarantined).toHaveLength(1);
        expect(await imported.get(bad.id)).toBeUndefined();
        const keptAt = imported.report.quarantined[0]?.keptAt ?? '';
        expect(await readFile(keptAt, 'utf8')).toContain('three');
      },
    );

    it.runIf(supports.damagedFiles)(
      'keeps a damaged file aside and writes it again from the journal, never reading it as a deletion',
      async () => {
        const root = await scratch.dir();
        await seeded(root);
        const [file] = await makeLayout().files(root);
        if (file === undefined) throw new Error('the layout wrote no file');
        const original = await readFile(file, 'utf8');
        await writeFile(file, original.slice(0, Math.floor(original.length / 2)));
        const reopened = await openAt(root, false);
        expect(reopened.report.quarantined.map((q) => q.file)).toEqual([file]);
        expect(reopened.report.adopted).toEqual([]);
        await reopened.close();
        expect(await stored(root)).toEqual(new Map(docs.map((doc) => [doc.id, doc])));
      },
    );
  });
}
