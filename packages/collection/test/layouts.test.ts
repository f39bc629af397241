import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidIdError } from '@vellum/atomic-io';
import {
  arrayFileLayout,
  jsonlFileLayout,
  mapFileLayout,
  perDocumentLayout,
  type LayoutState,
} from '../src/index.js';
import { testLayout, type SuiteDoc as Doc } from '../src/test-suite/index.js';
import { freshDir } from './helpers.js';

const perDocument = () =>
  perDocumentLayout<Doc>({
    dir: 'tasks',
    pathOf: (doc, id) =>
      doc.status === 'completed' ? `completed/2026-11/${id}.json` : `active/${id}.json`,
  });

// Every layout runs the whole suite: its files, then recovery and hand edits through a collection.
testLayout({ name: 'per-document files (spec 000)', layout: perDocument });
testLayout({
  name: 'JSON array file (spec 002)',
  layout: () => arrayFileLayout<Doc>({ file: '.pm/projects/p1/tickets.json' }),
});
testLayout({
  name: 'JSON map file (spec 003)',
  layout: () =>
    mapFileLayout<Doc>({
      file: 'state/map.json',
      key: 'mappings',
      envelope: () => ({ version: '1.0' }),
    }),
});
testLayout({
  name: 'JSONL file (spec 001)',
  layout: () =>
    jsonlFileLayout<Doc>({ file: '.coaia/charts.jsonl', idOf: (doc) => (doc as Doc).id }),
});

/** A layout's view of a state holding one document. */
function stateOf<D extends { id: string }>(doc: D): LayoutState<D> {
  return {
    entries: () => [[doc.id, doc]],
    get: () => doc,
    jsonEntries: () => [[doc.id, JSON.stringify(doc)]],
  };
}

describe('per-document layout', () => {
  it('moves a document between folders when its path changes', async () => {
    const root = await freshDir();
    const layout = perDocument();
    const pending: Doc = { id: 'TASK-001-001', status: 'pending', title: 't', n: 1 };
    const done: Doc = { ...pending, status: 'completed' };
    await layout.write(root, stateOf(pending), new Map([[pending.id, []]]));
    await layout.write(root, stateOf(done), new Map([[done.id, [pending]]]));
    expect((await layout.files(root)).map((f) => f.slice(root.length + 1))).toEqual([
      'tasks/completed/2026-11/TASK-001-001.json',
    ]);
  });

  it('ignores index files and dot folders next to the documents', async () => {
    const root = await freshDir();
    await mkdir(join(root, 'tasks', 'index'), { recursive: true });
    await writeFile(join(root, 'tasks', 'index', 'by-status.json'), '{"pending": []}');
    expect(await perDocument().files(root)).toEqual([]);
  });

  it('refuses ids that would escape the folder', async () => {
    const root = await freshDir();
    const evil: Doc = { id: '../../etc/x', status: 'pending', title: '', n: 0 };
    await expect(
      perDocument().write(root, stateOf(evil), new Map([[evil.id, []]])),
    ).rejects.toBeInstanceOf(InvalidIdError);
  });
});

describe('map file layout', () => {
  it('stores values without the id, inside the envelope, keys sorted', async () => {
    const root = await freshDir();
    const layout = mapFileLayout<{ id: string; jira: string }>({
      file: 'external_id_mapping.json',
      key: 'mappings',
      envelope: () => ({ version: '1.0', updated: '2025-11-10T14:45:00Z' }),
    });
    const doc = { id: 'TASK-E01-b2c4', jira: 'PROJ-456' };
    await layout.write(root, stateOf(doc), new Map([[doc.id, []]]));
    expect(JSON.parse(await readFile(join(root, 'external_id_mapping.json'), 'utf8'))).toEqual({
      mappings: { 'TASK-E01-b2c4': { jira: 'PROJ-456' } },
      updated: '2025-11-10T14:45:00Z',
      version: '1.0',
    });
    expect((await layout.read(root)).entries[0]?.doc).toEqual(doc);
  });
});
