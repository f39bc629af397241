import { join } from 'node:path';
import { median, sampleAll, type Contender } from '../measure.js';
import { freshDir } from '../paths.js';
import { STORY_COUNT, records as makeRecords, storyId } from '../records.js';
import { openNedb } from '../stores/nedb.js';
import { openSqlite, parsedDocs, sqliteImport } from '../stores/sqlite.js';
import { JSONL_LAYOUT, importRecords, openRecords } from '../stores/vellum.js';
import { atMost, rowsFrom, sizeOf, type RowSpec, type Workload } from '../workload.js';

const SQLITE = 'better-sqlite3 SELECT doc WHERE story_id = ?, JSON.parse each';
const NEDB = '@seald-io/nedb 4 findAsync (indexed)';
const OURS = `@vellum/collection query where story, ${JSONL_LAYOUT}`;

/** Documents returned by each query of a sample. */
type Query = (story: string) => Promise<readonly unknown[]>;

export const queryStory: Workload = {
  name: 'query-story',
  async run(options) {
    const count = sizeOf(options, 'records', 100_000, 10_000);
    // 500 a round, not the 1,000: three rounds of SQLite's share alone took a minute.
    const queries = sizeOf(options, 'queries', 500, 100);
    const warmup = Math.ceil(queries / 10);
    const rounds = sizeOf(options, 'rounds', 3, 1);
    const perStory = count / STORY_COUNT;
    const records = makeRecords(count);
    const dir = await freshDir(options.dir, 'stores');

    const db = openSqlite(join(dir, 'records.sqlite'));
    const nedb = await openNedb(join(dir, 'records.db'));
    const oursRoot = await freshDir(dir, 'ours');
    // Imported, closed and opened again: no materialization left pending to run during the queries.
    await importRecords(oursRoot, records);
    const ours = await openRecords(oursRoot);
    try {
      sqliteImport(db, records);
      await nedb.insertAsync([...records]);
      // Rowids follow the ids, so the story index returns them in id order, as ours does.
      const byStory = parsedDocs<[string, number]>(
        db,
        'SELECT doc FROM records WHERE story_id = ? LIMIT ?',
      );
      const returned = new Map<string, number[]>();
      const contender = (name: string, query: Query): Contender => {
        const sizes: number[] = [];
        returned.set(name, sizes);
        return {
          name,
          async sample() {
            const run = async (from: number, to: number): Promise<void> => {
              for (let q = from; q < to; q++) {
                sizes.push((await query(storyId(q % STORY_COUNT))).length);
              }
            };
            await run(0, warmup);
            const start = performance.now();
            await run(warmup, warmup + queries);
            return performance.now() - start;
          },
        };
      };
      const samples = await sampleAll(
        [
          contender(SQLITE, async (story) => byStory(story, perStory)),
          contender(NEDB, (story) =>
            nedb.findAsync({ 'metadata.story_id': story }).limit(perStory).execAsync(),
          ),
          contender(
            OURS,
            async (story) => (await ours.query({ where: { story }, limit: perStory })).items,
          ),
        ],
        rounds,
        options.dir,
      );
      const details = (name: string, how: string): RowSpec => {
        const sizes = returned.get(name) ?? [];
        return {
          check: {
            text: `${perStory.toLocaleString('en-US')} docs per query`,
            ok: sizes.every((size) => size === perStory),
          },
          note: `${(median(samples.get(name) ?? []) / queries).toFixed(2)} ms per query; ${how}`,
        };
      };
      return {
        workload: 'query-story',
        metric: 'wall ms',
        baseline: SQLITE,
        counts: { records: count, queries, warmup, docsPerQuery: perStory, rounds },
        rows: rowsFrom(samples, SQLITE, {
          [SQLITE]: details(SQLITE, 'parses each JSON column'),
          [NEDB]: details(NEDB, 'returns deep copies'),
          [OURS]: {
            ...details(OURS, 'returns the parsed, frozen documents it holds: no parse, no copy'),
            target: (ratio) => atMost(ratio, 0.5, 'SQLite'),
          },
        }),
      };
    } finally {
      db.close();
      await ours.close();
    }
  },
};
