import { afterEach, describe, expect, it } from 'vitest';
import {
  TempDirs,
  assertBoundaryRuns,
  killAtEveryBoundary,
  killLeftoverChildren,
  runRandomKills,
  type BoundaryOptions,
  type BoundaryScenario,
} from '../helpers/processes.js';

const temp = new TempDirs();
afterEach(async () => {
  await killLeftoverChildren();
  await temp.cleanup();
});

describe('a writer SIGKILLed at random moments', () => {
  it('200 kills: the target is always the last acknowledged value or the next, no acknowledged record is lost', async () => {
    const root = await temp.make();
    const stats = await runRandomKills(root, 200, 4);
    expect(stats.kills).toBe(200);
    // The campaign exercised the writer, not just its start-up.
    expect(stats.ackedWrites).toBeGreaterThan(200);
    expect(stats.ackedAppends).toBeGreaterThan(100);
    console.info('random kills:', JSON.stringify(stats));
    // About 20 s alone on an idle 2-core machine, up to 55 s next to the other files under load.
  }, 150_000);
});

const options: BoundaryOptions = { size: 6000, batch: 3, maxWrite: 2500 };

describe('a writer SIGKILLed at every fs call boundary of one operation', () => {
  const scenarios: [BoundaryScenario, string][] = [
    ['write-existing', 'writeJsonAtomic({backup: true}) over an existing target'],
    ['write-new', 'writeJsonAtomic({backup: true}) of a new target'],
    ['write-copy-backup', 'writeJsonAtomic({backup: true}) where hard links fail (copied backup)'],
    ['write-short-writes', 'writeJsonAtomic({backup: true}) with short writes'],
    ['append-existing', 'appendRecords to an existing log'],
    ['append-new', 'appendRecords creating the log'],
    ['append-short-writes', 'appendRecords with short writes (torn batches)'],
  ];
  it.each(scenarios)('%s: %s', async (scenario) => {
    const root = await temp.make();
    const campaign = await killAtEveryBoundary(root, scenario, options);
    assertBoundaryRuns(scenario, campaign, options);
  });
});
