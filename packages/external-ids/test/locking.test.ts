/** Spec 003's locking tests, in one process (test/processes.test.ts covers several). */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LockTimeoutError, withLock, writeJsonAtomic } from '@vellum/atomic-io';
import { describe, expect, it } from 'vitest';
import { ExternalIdMapper, LOCK_NAME } from '../src/index.js';
import { freshMapper, readJsonFile, recordingFs, snapshot, specStateDir } from './helpers/setup.js';

/** Holds the mapper's lock until `release()` is called. */
async function holdLock(mapper: ExternalIdMapper): Promise<{ release: () => Promise<void> }> {
  await mkdir(mapper.paths.dir, { recursive: true });
  let acquired!: () => void;
  let release!: () => void;
  const isAcquired = new Promise<void>((resolve) => (acquired = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const holder = withLock(
    mapper.paths.mapping,
    async () => {
      acquired();
      await released;
    },
    { lockPath: mapper.paths.lock },
  );
  await isAcquired;
  return {
    release: async () => {
      release();
      await holder;
    },
  };
}

describe('locking', () => {
  it('holds the lock (<dir>/.vellum-external-ids.lock) while it writes', async () => {
    const seen: { lockExists: boolean; owner: unknown }[] = [];
    let lockDir = '';
    const { fs } = recordingFs(async (call) => {
      if (call.op === 'rename' && call.to?.endsWith('external_id_mapping.json')) {
        const info = await stat(lockDir).catch(() => undefined);
        seen.push({
          lockExists: info?.isDirectory() === true,
          owner: JSON.parse(await readFile(`${lockDir}.owner`, 'utf8')) as unknown,
        });
      }
    });
    const { dir, mapper } = await freshMapper({ fs });
    lockDir = join(dir, LOCK_NAME);
    expect(mapper.paths.lock).toBe(lockDir);
    await mapper.mapToExternal('T1', 'jira');
    expect(seen).toEqual([
      { lockExists: true, owner: expect.objectContaining({ pid: process.pid }) as unknown },
    ]);
  });

  it('releases the lock when done, also after an error', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'jira');
    await expect(stat(join(dir, LOCK_NAME))).rejects.toMatchObject({ code: 'ENOENT' });
    await writeFile(join(dir, 'external_id_counters.json'), '{');
    await writeFile(join(dir, 'external_id_counters.json.bak'), '{');
    await expect(mapper.mapToExternal('T2', 'jira')).rejects.toMatchObject({
      code: 'VELLUM_STATE_UNREADABLE',
    });
    await expect(stat(join(dir, LOCK_NAME))).rejects.toMatchObject({ code: 'ENOENT' });
    // Free: taken at once by someone else.
    await withLock(mapper.paths.mapping, () => undefined, {
      lockPath: mapper.paths.lock,
      lockTimeout: 0,
    });
  });

  it('blocks a concurrent read-modify-write until the holder is done', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T0', 'jira');
    const lock = await holdLock(mapper);
    const pending = mapper.mapToExternal('T2', 'jira');
    // While we hold the lock, "another process" allocates PROJ-2 for T1.
    await writeJsonAtomic(join(dir, 'external_id_counters.json'), {
      version: '1.0',
      updated: 'x',
      counters: { jira: { PROJ: 2 } },
    });
    await writeJsonAtomic(join(dir, 'external_id_mapping.json'), {
      version: '1.0',
      updated: 'x',
      mappings: { T0: { jira: 'PROJ-1' }, T1: { jira: 'PROJ-2' } },
    });
    await lock.release();
    // The waiting call read the state only after the holder released it.
    expect(await pending).toBe('PROJ-3');
    expect(await readJsonFile(join(dir, 'external_id_mapping.json'))).toMatchObject({
      mappings: { T0: { jira: 'PROJ-1' }, T1: { jira: 'PROJ-2' }, T2: { jira: 'PROJ-3' } },
    });
  });

  it('times out with LockTimeoutError and writes nothing', async () => {
    const { dir, mapper } = await freshMapper({ lockTimeout: 100 });
    await mapper.mapToExternal('T1', 'github');
    const before = await snapshot(dir);
    const lock = await holdLock(mapper);
    try {
      const error = await mapper.mapToExternal('T2', 'github').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockTimeoutError);
      expect((error as LockTimeoutError).code).toBe('VELLUM_LOCK_TIMEOUT');
      // Lookups take no lock and still answer.
      expect(await mapper.getExternal('T1', 'github')).toBe('1');
    } finally {
      await lock.release();
    }
    expect(await snapshot(dir)).toEqual(before);
    expect(await mapper.mapToExternal('T2', 'github')).toBe('2');
  });

  it('works beside the regular .lock files spec 003’s tool leaves behind', async () => {
    const dir = await specStateDir();
    await writeFile(join(dir, 'external_id_mapping.json.lock'), '');
    await writeFile(join(dir, 'external_id_counters.json.lock'), '');
    const mapper = new ExternalIdMapper({ stateDir: dir });
    expect(await mapper.mapToExternal('TASK-2', 'jira')).toBe('PROJ-458');
    expect((await stat(join(dir, 'external_id_mapping.json.lock'))).isFile()).toBe(true);
    expect((await stat(join(dir, 'external_id_counters.json.lock'))).isFile()).toBe(true);
  });
});
