import { Collection, jsonlFileLayout, perDocumentLayout } from '@vellum/collection';
import { z } from 'zod';
import { BenchRecord } from '../records.js';

type RecordCollection = Collection<BenchRecord>;

/** What the tables call our contender: the layout is part of what is measured. */
export const JSONL_LAYOUT = 'JSONL file layout';

/**
 * The records as one JSONL file (`records.jsonl`), in the default
 * write-behind mode: a write resolves once its journal append is fdatasynced;
 * the file follows after 50 ms of quiet and on close. One file, not one per
 * document: rewriting 100k documents' files would dominate every figure.
 */
export function openRecords(root: string): Promise<RecordCollection> {
  return Collection.open({
    root,
    name: 'records',
    schema: BenchRecord,
    layout: jsonlFileLayout({
      file: 'records.jsonl',
      idOf: (doc) => (doc as Partial<BenchRecord> | null)?.id,
    }),
    // Versioned: the store is built by the bench and opened by compiled workers, which print
    // the same key functions differently.
    indexes: {
      status: { key: (doc) => doc.status, version: 1 },
      story: { key: (doc) => doc.metadata.story_id, version: 1 },
    },
  });
}

/** Stores `records` in one transaction and closes, leaving the files, snapshot and checkpoint. */
export async function importRecords(root: string, records: readonly BenchRecord[]): Promise<void> {
  const collection = await openRecords(root);
  try {
    await collection.batch(records.map((doc) => ({ type: 'put', doc })));
  } finally {
    await collection.close();
  }
}

export const COUNTER_ID = 'counter';

const CounterDoc = z.object({ id: z.string(), count: z.number().int().min(0) });
type CounterDoc = z.infer<typeof CounterDoc>;
type CounterCollection = Collection<CounterDoc>;

/**
 * Counter documents in spec 000's layout, one file each (`counters/<id>.json`):
 * with one document, materializing rewrites one small file.
 */
export function openCounters(root: string): Promise<CounterCollection> {
  return Collection.open({
    root,
    name: 'counters',
    schema: CounterDoc,
    layout: perDocumentLayout({ dir: 'counters', pathOf: (_doc, id) => `${id}.json` }),
    // Four processes queue for one lock: a turn can take far longer than one write.
    lockTimeout: 60_000,
  });
}
