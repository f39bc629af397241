import { CounterRuns } from '../counter-runs.js';
import { sqliteCounter, vellumCounter } from '../counters.js';
import { sampleAll } from '../measure.js';
import { atMost, rowsFrom, sizeOf, type Workload } from '../workload.js';

const WORKERS = 4;

const SQLITE = 'better-sqlite3 WAL, synchronous=FULL, BEGIN IMMEDIATE + UPDATE';
const TRANSACT = '@vellum/collection transact (patch planned under the lock)';
const OPTIMISTIC = '@vellum/collection getEntry + patch expectedRevision, retried on conflict';

export const patchRmw: Workload = {
  name: 'patch-rmw',
  async run(options) {
    const perWorker = sizeOf(options, 'perWorker', 250, 25);
    // Two rounds, not three: each takes ~30 s here, mostly the workers' start-up.
    const rounds = sizeOf(options, 'rounds', 2, 1);
    const runs = new CounterRuns(WORKERS, perWorker);
    const samples = await sampleAll(
      [
        runs.contender(SQLITE, sqliteCounter, 'increment-sqlite'),
        runs.contender(TRANSACT, vellumCounter, 'rmw-vellum-transact'),
        runs.contender(OPTIMISTIC, vellumCounter, 'rmw-vellum-optimistic'),
      ],
      rounds,
      options.dir,
    );
    const target = (ratio: number) => atMost(ratio, 1.5, 'SQLite');
    return {
      workload: 'patch-rmw',
      metric: 'wall ms',
      baseline: SQLITE,
      counts: { workers: WORKERS, patchesPerWorker: perWorker, expected: runs.expected, rounds },
      rows: rowsFrom(samples, SQLITE, {
        [SQLITE]: runs.details(SQLITE, SQLITE),
        [TRANSACT]: { target, ...runs.details(TRANSACT, SQLITE) },
        [OPTIMISTIC]: { target, ...runs.details(OPTIMISTIC, SQLITE) },
      }),
    };
  },
};
