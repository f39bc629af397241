// `vellum migrate ...`: a refused plan leaves the store as it was.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectHumanError,
  expectJsonError,
  expectSameStore,
  okJson,
  removeTempRoots,
  seeded,
  snapshot,
  SUITE_TIMEOUT_MS,
} from './helpers.js';

afterAll(removeTempRoots);

describe('vellum migrate', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('a target that is no step of the plan exits 2 and creates nothing (no migrations folder)', async () => {
    const { root, v } = await seeded('migrate-plan');
    const before = await snapshot(root);
    expect(
      expectHumanError(await v('migrate', 'down', '--to', '999'), 2, 'VELLUM_MIGRATION_PLAN')
        .stderr,
    ).toContain('999');
    expectJsonError(await v('migrate', 'up', '--to', '0', '--json'), 2, 'VELLUM_MIGRATION_PLAN');
    expectJsonError(await v('migrate', 'down', '--json'), 2, 'VELLUM_MIGRATION_PLAN');
    expect(existsSync(join(root, '.ap-state', '.vellum', 'migrations'))).toBe(false);
    expectSameStore(before, await snapshot(root), 'refused migrations');
    // the control: a plan with nothing to do succeeds
    expect(okJson<{ steps: unknown[] }>(await v('migrate', 'up', '--json')).steps).toEqual([]);
  });
});
