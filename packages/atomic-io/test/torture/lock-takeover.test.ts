import { afterEach, describe, it } from 'vitest';
import {
  FALLBACK_LOCK_ENV,
  TempDirs,
  assertExclusiveTakeover,
  killLeftoverChildren,
  runTakeoverRace,
} from '../helpers/processes.js';

const temp = new TempDirs();
afterEach(async () => {
  await killLeftoverChildren();
  await temp.cleanup();
});

describe('torture: many waiters racing for a lock whose holder was killed or stopped', () => {
  it(
    'fallback lock, 5 rounds: 12 waiters polling when the holder is SIGKILLed take it over one at a time',
    async () => {
      for (let round = 0; round < 5; round++) {
        const race = await runTakeoverRace(
          await temp.make('vellum-torture-'),
          'SIGKILL',
          12,
          5,
          10_000,
          FALLBACK_LOCK_ENV,
        );
        assertExclusiveTakeover(race, 60);
      }
    },
    20 * 60_000,
  );

  it(
    '10 rounds: 12 waiters polling when the holder is SIGKILLed take the kernel lock one at a time',
    async () => {
      for (let round = 0; round < 10; round++) {
        const race = await runTakeoverRace(
          await temp.make('vellum-torture-'),
          'SIGKILL',
          12,
          5,
          10_000,
        );
        assertExclusiveTakeover(race, 60);
      }
    },
    20 * 60_000,
  );

  it(
    'fallback lock, 5 rounds: 12 waiters polling when the holder is SIGSTOPped past `stale` take it over one at a time',
    async () => {
      for (let round = 0; round < 5; round++) {
        const race = await runTakeoverRace(
          await temp.make('vellum-torture-'),
          'SIGSTOP',
          12,
          5,
          2000,
          FALLBACK_LOCK_ENV,
        );
        assertExclusiveTakeover(race, 60);
      }
    },
    20 * 60_000,
  );
});
