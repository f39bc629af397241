import { join } from 'node:path';
import { concurrentOpsPerSecond, median, opsPerSecondSync, sampleAll } from '../measure.js';
import { record } from '../records.js';
import { openSqlite, sqliteInserter } from '../stores/sqlite.js';
import { JSONL_LAYOUT, openRecords } from '../stores/vellum.js';
import { atLeast, rowsFrom, sizeOf, type Workload } from '../workload.js';

const CONCURRENCY = 16;

const SQLITE = 'better-sqlite3 WAL, synchronous=FULL, sequential';
const OURS = `@vellum/collection put, ${JSONL_LAYOUT}, ${CONCURRENCY} concurrent callers`;

export const concurrentInserts: Workload = {
  name: 'concurrent-inserts',
  async run(options) {
    const ops = sizeOf(options, 'ops', 2000, 200);
    const warmup = Math.ceil(ops / 10);
    const rounds = sizeOf(options, 'rounds', 3, 1);
    const closeMs: number[] = [];
    const samples = await sampleAll(
      [
        {
          // better-sqlite3 is synchronous: callers in one process take turns, so
          // sixteen of them insert no faster than one.
          name: SQLITE,
          async sample(at) {
            const db = openSqlite(join(at, 'records.sqlite'));
            try {
              const insert = sqliteInserter(db);
              return opsPerSecondSync(ops, warmup, (seq) => insert(record(seq)));
            } finally {
              db.close();
            }
          },
        },
        {
          name: OURS,
          async sample(at) {
            const collection = await openRecords(at);
            try {
              return await concurrentOpsPerSecond(ops, warmup, CONCURRENCY, (seq) =>
                collection.put(record(seq)),
              );
            } finally {
              const closing = performance.now();
              await collection.close();
              closeMs.push(performance.now() - closing);
            }
          },
        },
      ],
      rounds,
      options.dir,
    );
    return {
      workload: 'concurrent-inserts',
      metric: 'ops/s',
      baseline: SQLITE,
      counts: { ops, warmup, concurrency: CONCURRENCY, rounds },
      rows: rowsFrom(samples, SQLITE, {
        [OURS]: {
          target: (ratio) => atLeast(ratio, 3, 'SQLite'),
          note:
            'group commit: one journal append + fdatasync per group of waiting puts; ' +
            `write-behind: close() after took ${Math.round(median(closeMs)).toLocaleString('en-US')} ms`,
        },
      }),
    };
  },
};
