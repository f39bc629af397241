import { join } from 'node:path';
import { median, sampleAll } from '../measure.js';
import { records as makeRecords } from '../records.js';
import { openSqlite, sqliteImport } from '../stores/sqlite.js';
import { JSONL_LAYOUT, openRecords } from '../stores/vellum.js';
import { atMost, rowsFrom, sizeOf, type Workload } from '../workload.js';

const SQLITE = 'better-sqlite3 one transaction, until COMMIT';
const SQLITE_CLOSED = 'better-sqlite3, until close() (WAL checkpointed)';
const OURS = `@vellum/collection batch, ${JSONL_LAYOUT}, until it resolves (journal durable)`;
const OURS_CLOSED = '@vellum/collection, until close() (file, snapshot, checkpoint written)';

export const bulkImport: Workload = {
  name: 'bulk-import',
  async run(options) {
    const count = sizeOf(options, 'records', 100_000, 10_000);
    const rounds = sizeOf(options, 'rounds', 3, 1);
    const records = makeRecords(count);
    const puts = records.map((doc) => ({ type: 'put' as const, doc }));
    // Each sample reports the time to durable; the time until closed goes here.
    const closed = new Map<string, number[]>([
      [SQLITE_CLOSED, []],
      [OURS_CLOSED, []],
    ]);
    const measured = await sampleAll(
      [
        {
          name: SQLITE,
          async sample(at) {
            const start = performance.now();
            const db = openSqlite(join(at, 'records.sqlite'));
            let durable: number;
            try {
              sqliteImport(db, records);
              durable = performance.now() - start;
            } finally {
              db.close();
            }
            closed.get(SQLITE_CLOSED)?.push(performance.now() - start);
            return durable;
          },
        },
        {
          name: OURS,
          async sample(at) {
            const start = performance.now();
            const collection = await openRecords(at);
            let durable: number;
            try {
              await collection.batch(puts);
              durable = performance.now() - start;
            } finally {
              await collection.close();
            }
            closed.get(OURS_CLOSED)?.push(performance.now() - start);
            return durable;
          },
        },
      ],
      rounds,
      options.dir,
    );
    const sample = (name: string): number[] => measured.get(name) ?? closed.get(name) ?? [];
    const samples = new Map(
      [SQLITE, SQLITE_CLOSED, OURS, OURS_CLOSED].map((name) => [name, sample(name)]),
    );
    const closedRatio = median(sample(OURS_CLOSED)) / median(sample(SQLITE_CLOSED));
    return {
      workload: 'bulk-import',
      metric: 'wall ms',
      baseline: SQLITE,
      counts: { records: count, rounds },
      rows: rowsFrom(samples, SQLITE, {
        [SQLITE]: { note: 'open, create table and indexes, one transaction of INSERTs' },
        [OURS]: {
          target: (ratio) => atMost(ratio, 1, 'SQLite'),
          note: 'open, then one batch of puts: one journal transaction, fdatasynced',
        },
        [OURS_CLOSED]: { note: `${closedRatio.toFixed(2)}x SQLite until close()` },
      }),
    };
  },
};
