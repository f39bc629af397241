import { join } from 'node:path';
import { askWorker } from '../children.js';
import { median, sampleAll, type Contender } from '../measure.js';
import { freshDir } from '../paths.js';
import { records as makeRecords, type BenchRecord } from '../records.js';
import { openNedb } from '../stores/nedb.js';
import { openSqlite, sqliteImport } from '../stores/sqlite.js';
import { JSONL_LAYOUT, importRecords } from '../stores/vellum.js';
import { PAGE, type OpenAnswer } from '../workers/answer.js';
import { allOf, atMost, rowsFrom, sizeOf, type RowSpec, type Workload } from '../workload.js';

const NOTHING = 'node, no store (reference)';
const SQLITE = 'better-sqlite3 open + load all rows parsed';
const NEDB = '@seald-io/nedb 4 load';
const OURS = `@vellum/collection open, ${JSONL_LAYOUT}`;

interface Stores {
  readonly sqlite: string;
  readonly nedb: string;
  readonly ours: string;
}

/** Each contender's store of `records`, built once and closed before any worker opens it. */
async function buildStores(dir: string, records: readonly BenchRecord[]): Promise<Stores> {
  const sqlite = join(dir, 'records.sqlite');
  const db = openSqlite(sqlite);
  try {
    sqliteImport(db, records);
  } finally {
    db.close();
  }
  const nedb = join(dir, 'records.db');
  await (await openNedb(nedb)).insertAsync([...records]);
  const ours = await freshDir(dir, 'ours');
  await importRecords(ours, records);
  return { sqlite, nedb, ours };
}

export const coldOpen: Workload = {
  name: 'cold-open',
  async run(options) {
    const count = sizeOf(options, 'records', 100_000, 10_000);
    const rounds = sizeOf(options, 'rounds', 3, 1);
    const stores = await buildStores(await freshDir(options.dir, 'stores'), makeRecords(count));
    const answers = new Map<string, OpenAnswer[]>();
    // Every round reopens the same store: the first query is what is timed, not the disk cache.
    const contender = (name: string, worker: string, store: string): Contender => {
      const collected: OpenAnswer[] = [];
      answers.set(name, collected);
      return {
        name,
        async sample() {
          const { wallMs, answer } = await askWorker<OpenAnswer>(
            new URL(`../workers/${worker}.ts`, import.meta.url),
            [store],
          );
          collected.push(answer);
          return wallMs;
        },
      };
    };
    const samples = await sampleAll(
      [
        contender(NOTHING, 'open-nothing', ''),
        contender(SQLITE, 'open-sqlite', stores.sqlite),
        contender(NEDB, 'open-nedb', stores.nedb),
        contender(OURS, 'open-vellum', stores.ours),
      ],
      rounds,
      options.dir,
    );

    const of = (name: string, field: 'workMs' | 'startupMs' | 'maxRssKb'): number =>
      median((answers.get(name) ?? []).map((answer) => answer[field]));
    const expected = { total: count / 4, items: PAGE, loaded: count };
    const details = (name: string): RowSpec => {
      const found = answers.get(name) ?? [];
      const ok = found.every(
        (a) => a.total === expected.total && a.items === expected.items && a.loaded === count,
      );
      return {
        check: { text: `answered ${PAGE} of ${expected.total.toLocaleString('en-US')}`, ok },
        note:
          `start-up ${Math.round(of(name, 'startupMs'))} ms + open→answer ` +
          `${Math.round(of(name, 'workMs')).toLocaleString('en-US')} ms; ` +
          `peak RSS ${Math.round(of(name, 'maxRssKb') / 1024)} MB`,
      };
    };
    const nedbRatio = median(samples.get(OURS) ?? []) / median(samples.get(NEDB) ?? []);
    const rssRatio = of(OURS, 'maxRssKb') / of(SQLITE, 'maxRssKb');
    return {
      workload: 'cold-open',
      metric: 'wall ms',
      baseline: SQLITE,
      counts: { records: count, rounds },
      rows: rowsFrom(samples, SQLITE, {
        [NOTHING]: { note: `start-up ${Math.round(of(NOTHING, 'startupMs'))} ms` },
        [SQLITE]: details(SQLITE),
        [NEDB]: details(NEDB),
        [OURS]: {
          ...details(OURS),
          target: (ratio) =>
            allOf([
              atMost(ratio, 1, 'SQLite'),
              atMost(nedbRatio, 0.25, `NeDB (${nedbRatio.toFixed(2)}x)`),
              atMost(rssRatio, 1, `SQLite's peak RSS (${rssRatio.toFixed(2)}x)`),
            ]),
        },
      }),
    };
  },
};
