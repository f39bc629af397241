import { afterEach, describe, expect, it } from 'vitest';
import {
  TempDirs,
  diskFullModes,
  killLeftoverChildren,
  runDiskFullFuzz,
} from '../helpers/processes.js';

const temp = new TempDirs();
afterEach(async () => {
  await killLeftoverChildren();
  await temp.cleanup();
});

describe.each(diskFullModes())('torture: disk full (%s)', (mode) => {
  it(
    '4 x 5,000 random writes and appends: each succeeds completely or fails with VELLUM_DISK_FULL changing nothing',
    async () => {
      const seeds = Array.from({ length: 4 }, () => Math.floor(Math.random() * 2 ** 31));
      const outcomes = await Promise.all(
        seeds.map(async (seed) => ({
          seed,
          outcome: await runDiskFullFuzz(mode, await temp.make('vellum-torture-'), 5000, seed),
        })),
      );
      for (const { seed, outcome } of outcomes) {
        expect(outcome.violations, `seed ${seed}`).toEqual([]);
        const { writeOk, appendOk, writeFull, appendFull } = outcome.counts;
        expect(Math.min(writeOk, appendOk), `successes, seed ${seed}`).toBeGreaterThan(100);
        expect(writeFull + appendFull, `failures, seed ${seed}`).toBeGreaterThan(100);
      }
    },
    20 * 60_000,
  );
});
