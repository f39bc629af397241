// `vellum backup ...`, `vellum export` and `vellum import`: what a failure leaves behind.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectExit,
  expectHumanError,
  expectJsonError,
  expectSameStore,
  okJson,
  removeTempRoots,
  seeded,
  snapshot,
  SUITE_TIMEOUT_MS,
  useEveryCollection,
} from './helpers.js';

afterAll(removeTempRoots);

interface BackupList {
  items: { id: string }[];
  total: number;
}

describe.concurrent('vellum export', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('a target that cannot be written (a directory, an empty name) exits 2 before any backup is taken', async () => {
    const { root, v } = await seeded('export-target');
    await useEveryCollection(v);
    const before = await snapshot(root);
    for (const target of [root, '', join(root, '.ap-state')]) {
      const human = expectHumanError(await v('export', target), 2, 'VELLUM_USAGE');
      expect(human.stderr).toContain('export');
      expectJsonError(await v('export', target, '--json'), 2, 'VELLUM_USAGE');
    }
    expect(existsSync(join(root, '.ap-state', 'checkpoints'))).toBe(false);
    expectSameStore(before, await snapshot(root), 'refused exports');
  });

  it('a failure after the backup was taken removes that backup', async () => {
    const { root, v } = await seeded('export-late');
    // the archive's folder would be under a file: found only when the archive is written
    const failed = await v('export', join(root, 'seed.jsonl', 'store.tar.gz'), '--json');
    expect(failed.code, failed.stdout).not.toBe(0);
    expect(failed.code).not.toBeNull();
    expect(okJson<BackupList>(await v('backup', 'list', '--json')).total).toBe(0);
    expect(await readdir(join(root, '.ap-state', 'checkpoints')).catch(() => [])).toEqual([]);

    // the control: a target that can be written
    const archive = join(root, 'out', 'store.tar.gz');
    const exported = okJson<{ id: string; file: string }>(await v('export', archive, '--json'));
    expect(exported.file).toBe(archive);
    expect(existsSync(archive)).toBe(true);
    const backups = okJson<BackupList>(await v('backup', 'list', '--json'));
    expect(backups.items.map((b) => b.id)).toEqual([exported.id]);
    // an existing file is replaced (as `tar -czf` does)
    expectExit(await v('export', archive, '--id', exported.id, '--quiet'), 0);
  });
});
