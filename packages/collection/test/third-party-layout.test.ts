import { readdir, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CorruptFileError, ensureDir, errnoOf, readJson, writeJsonAtomic } from '@vellum/atomic-io';
// Through the package's own export, as a layout published elsewhere would import it.
import type { Layout, LayoutEntry } from '@vellum/collection';
import { testLayout, type SuiteDoc } from '@vellum/collection/test-suite';

/** A layout written outside this package: one `<id>.json` per document in a flat folder. */
function flatFolderLayout(dir: string): Layout<SuiteDoc> {
  const folder = (root: string): string => join(root, dir);
  return {
    name: `flat-folder(${dir})`,
    capabilities: { perDocument: true, ordered: false },
    async files(root) {
      try {
        const names = await readdir(folder(root));
        return names
          .filter((name) => name.endsWith('.json'))
          .map((name) => join(folder(root), name));
      } catch (error) {
        if (errnoOf(error) === 'ENOENT') return [];
        throw error;
      }
    },
    idOf: (_root, file) => basename(file, '.json'),
    async read(root, files) {
      const entries: LayoutEntry[] = [];
      const problems: CorruptFileError[] = [];
      for (const file of files ?? (await this.files(root))) {
        try {
          const doc = await readJson(file);
          if (doc !== null) entries.push({ id: basename(file, '.json'), doc, file });
        } catch (error) {
          if (!(error instanceof CorruptFileError)) throw error;
          problems.push(error);
        }
      }
      return { entries, problems };
    },
    async write(root, state, changed) {
      await ensureDir(folder(root));
      const touched: string[] = [];
      for (const id of changed.keys()) {
        const file = join(folder(root), `${id}.json`);
        const doc = state.get(id);
        if (doc === undefined) await unlink(file).catch(() => undefined);
        else await writeJsonAtomic(file, doc);
        touched.push(file);
      }
      return touched;
    },
  };
}

testLayout({ name: 'a third-party flat folder', layout: () => flatFolderLayout('docs') });
