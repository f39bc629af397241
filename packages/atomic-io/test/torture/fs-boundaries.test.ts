import { afterEach, describe, it } from 'vitest';
import {
  TempDirs,
  assertBoundaryRuns,
  killAtEveryBoundary,
  killLeftoverChildren,
  type BoundaryOptions,
  type BoundaryScenario,
} from '../helpers/processes.js';

const temp = new TempDirs();
afterEach(async () => {
  await killLeftoverChildren();
  await temp.cleanup();
});

// Large values through 4 KiB short writes: dozens of boundaries inside one write.
const options: BoundaryOptions = { size: 96 * 1024, batch: 12, maxWrite: 4096 };
const scenarios: BoundaryScenario[] = [
  'write-existing',
  'write-new',
  'write-copy-backup',
  'write-short-writes',
  'append-existing',
  'append-new',
  'append-short-writes',
];

describe('torture: a SIGKILL at every fs call boundary, large values and short writes', () => {
  it.each(scenarios)(
    '%s',
    async (scenario) => {
      const root = await temp.make('vellum-torture-');
      const campaign = await killAtEveryBoundary(root, scenario, options, 4);
      assertBoundaryRuns(scenario, campaign, options);
    },
    20 * 60_000,
  );
});
