import { afterEach, describe, expect, it } from 'vitest';
import { TempDirs, killLeftoverChildren, runRandomKills } from '../helpers/processes.js';

const temp = new TempDirs();
afterEach(async () => {
  await killLeftoverChildren();
  await temp.cleanup();
});

describe('torture: a writer SIGKILLed at random moments', () => {
  it(
    '2,000 kills: the target is always the last acknowledged value or the next, no acknowledged record is lost',
    async () => {
      const root = await temp.make('vellum-torture-');
      const stats = await runRandomKills(root, 2000, 4);
      expect(stats.kills).toBe(2000);
      expect(stats.ackedWrites).toBeGreaterThan(2000);
      expect(stats.ackedAppends).toBeGreaterThan(1000);
      expect(stats.unackedNewValue).toBeGreaterThan(0);
      console.info('random kills:', JSON.stringify(stats));
    },
    30 * 60_000,
  );
});
