import { afterEach, describe, expect, it } from 'vitest';
import {
  TempDirs,
  assertNoOverlap,
  killLeftoverChildren,
  runContention,
} from '../helpers/processes.js';

const temp = new TempDirs();
afterEach(async () => {
  await killLeftoverChildren();
  await temp.cleanup();
});

describe('torture: withLock contention', () => {
  it(
    '64 processes x 25 locked increments end at exactly 1,600 with no overlapping sections',
    async () => {
      const dir = await temp.make('vellum-torture-');
      const result = await runContention(dir, 64, 25);
      expect(result.counter).toEqual({ n: 1600 });
      assertNoOverlap(result.log, result.tags, 25);
    },
    20 * 60_000,
  );

  it(
    '16 processes x 8 concurrent callers x 40 increments end at exactly 5,120',
    async () => {
      const dir = await temp.make('vellum-torture-');
      const result = await runContention(dir, 16, 320, 8);
      expect(result.counter).toEqual({ n: 5120 });
      assertNoOverlap(result.log, result.tags, 40);
    },
    20 * 60_000,
  );
});
