import { CounterRuns } from '../counter-runs.js';
import { jsonCounter, sqliteCounter } from '../counters.js';
import { sampleAll } from '../measure.js';
import { atMost, rowsFrom, sizeOf, type Workload } from '../workload.js';

const WORKERS = 4;

const SQLITE = 'better-sqlite3 WAL, synchronous=FULL, BEGIN IMMEDIATE';
const OURS = '@vellum/atomic-io withLock + readJson + writeJsonAtomic';
const PEER = 'proper-lockfile + write-file-atomic';

export const lockedIncrements: Workload = {
  name: 'locked-increments',
  async run(options) {
    const perWorker = sizeOf(options, 'perWorker', 250, 25);
    const rounds = sizeOf(options, 'rounds', 3, 1);
    const runs = new CounterRuns(WORKERS, perWorker);
    const samples = await sampleAll(
      [
        runs.contender(SQLITE, sqliteCounter, 'increment-sqlite'),
        runs.contender(OURS, jsonCounter, 'increment-vellum'),
        runs.contender(PEER, jsonCounter, 'increment-proper-lockfile'),
      ],
      rounds,
      options.dir,
    );
    return {
      workload: 'locked-increments',
      metric: 'wall ms',
      baseline: SQLITE,
      counts: { workers: WORKERS, incrementsPerWorker: perWorker, expected: runs.expected, rounds },
      rows: rowsFrom(samples, SQLITE, {
        [SQLITE]: runs.details(SQLITE, SQLITE),
        [OURS]: {
          target: (ratio) => atMost(ratio, 2, 'better-sqlite3'),
          ...runs.details(OURS, SQLITE),
        },
        [PEER]: runs.details(PEER, SQLITE),
      }),
    };
  },
};
