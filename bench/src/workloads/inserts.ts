import { join } from 'node:path';
import {
  median,
  opsPerSecond,
  opsPerSecondSync,
  sampleAll,
  settle,
  type Contender,
} from '../measure.js';
import { record, records } from '../records.js';
import { openLowdb } from '../stores/lowdb.js';
import { openNedb } from '../stores/nedb.js';
import { openSqlite, sqliteInserter } from '../stores/sqlite.js';
import { JSONL_LAYOUT, openRecords } from '../stores/vellum.js';
import { atLeast, atMost, rowsFrom, sizeOf, type Workload } from '../workload.js';

const SQLITE = 'better-sqlite3 WAL, synchronous=FULL';
const NEDB = '@seald-io/nedb 4 insertAsync';
const lowdbName = (size: number): string => `lowdb 7 JSONFile write(), at ${fmt(size)} records`;
const oursName = (size: number): string =>
  `@vellum/collection put, ${JSONL_LAYOUT}` + (size === 0 ? '' : `, at ${fmt(size)} records`);

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function sqlite(ops: number, warmup: number): Contender {
  return {
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
  };
}

function nedb(ops: number, warmup: number): Contender {
  return {
    name: NEDB,
    async sample(at) {
      const file = join(at, 'records.db');
      const db = await openNedb(file);
      const perSecond = await opsPerSecond(ops, warmup, (seq) => db.insertAsync(record(seq)));
      await settle(file);
      return perSecond;
    },
  };
}

/** lowdb rewrites its whole file per write: a few hundred inserts into a store of `size`. */
function lowdb(size: number, ops: number): Contender {
  return {
    name: lowdbName(size),
    async sample(at) {
      const file = join(at, 'db.json');
      const db = await openLowdb(file, records(size));
      const perSecond = await opsPerSecond(ops, Math.ceil(ops / 10), (seq) => {
        db.data.records.push(record(size + seq));
        return db.write();
      });
      await settle(file);
      return perSecond;
    },
  };
}

/**
 * Ours from empty (`size` 0) or after importing `size` records in one batch
 * and checkpointing them, so the timed puts start with nothing pending.
 * `closeMs` collects what materializing the puts cost afterwards.
 */
function ours(size: number, ops: number, warmup: number, closeMs: number[]): Contender {
  return {
    name: oursName(size),
    async sample(at) {
      const collection = await openRecords(at);
      let perSecond: number;
      try {
        if (size > 0) {
          await collection.batch(records(size).map((doc) => ({ type: 'put', doc })));
          await collection.checkpoint();
        }
        perSecond = await opsPerSecond(ops, warmup, (seq) => collection.put(record(size + seq)));
      } finally {
        const closing = performance.now();
        await collection.close();
        closeMs.push(performance.now() - closing);
      }
      return perSecond;
    },
  };
}

export const inserts: Workload = {
  name: 'inserts',
  async run(options) {
    const ops = sizeOf(options, 'ops', 1000, 100);
    const warmup = Math.ceil(ops / 10);
    const lowdbOps = sizeOf(options, 'lowdbOps', 200, 20);
    const small = sizeOf(options, 'smallStore', 2000, 200);
    const large = sizeOf(options, 'largeStore', 10_000, 1000);
    const rounds = sizeOf(options, 'rounds', 3, 1);
    const closeAtStart: number[] = [];
    const closeAtLarge: number[] = [];
    const samples = await sampleAll(
      [
        sqlite(ops, warmup),
        nedb(ops, warmup),
        lowdb(small, lowdbOps),
        lowdb(large, lowdbOps),
        ours(0, ops, warmup, closeAtStart),
        ours(large, ops, warmup, closeAtLarge),
      ],
      rounds,
      options.dir,
    );
    // Per-insert cost is the inverse of the rate: at `large` records against from empty.
    const growth =
      median(samples.get(oursName(0)) ?? []) / median(samples.get(oursName(large)) ?? []);
    const closeNote = (closeMs: number[]): string =>
      `write-behind: close() after the puts took ${fmt(median(closeMs))} ms (materializes records.jsonl)`;
    return {
      workload: 'inserts',
      metric: 'ops/s',
      baseline: SQLITE,
      counts: { ops, warmup, lowdbOps, smallStore: small, largeStore: large, rounds },
      rows: rowsFrom(samples, SQLITE, {
        [SQLITE]: {
          note: 'one autocommit INSERT per record; JSON column, indexed status and story_id',
        },
        [NEDB]: { note: 'appends each insert with fs.appendFile: **no fsync**' },
        [lowdbName(small)]: { note: 'rewrites the whole file (temp + rename): **no fsync**' },
        [lowdbName(large)]: { note: 'rewrites the whole file (temp + rename): **no fsync**' },
        [oursName(0)]: {
          target: (ratio) => atLeast(ratio, 1, 'SQLite'),
          note: closeNote(closeAtStart),
        },
        [oursName(large)]: {
          target: () => atMost(growth, 1.3, `its cost from empty (${growth.toFixed(2)}x)`),
          note: closeNote(closeAtLarge),
        },
      }),
    };
  },
};
