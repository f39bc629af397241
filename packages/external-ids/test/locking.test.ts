/** Spec 003's locking tests, in one process (test/processes.test.ts covers several). */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LockTimeoutError, lockMechanism, withLock, writeJsonAtomic } from '@vellum/atomic-io';
import { describe, expect, it } from 'vitest';
import { ExternalIdMapper, LOCK_NAME } from '../src/index.js';
import { freshMapper, readJsonFile, recordingFs, snapshot, specStateDir } from './helpers/setup.js';

/** Every change holds these: our own lock and spec 003's two, as its Python tool takes them. */
const LOCK_FILES = [LOCK_NAME, 'external_id_counters.json.lock', 'external_id_mapping.json.lock'];

/**
 * Whether another process could take the kernel lock on `lockFile` now:
 * `flock -n` exits 0 when it got the lock, 1 when someone holds it.
 */
function freeForOthers(lockFile: string): boolean {
  const { status } = spawnSync('flock', ['-n', '-x', lockFile, '-c', 'true']);
  if (status !== 0 && status !== 1) throw new Error(`flock -n ${lockFile} exited ${status}`);
  return status === 0;
}

/** Each lock file: a regular file, and whether another process could lock it now. */
async function lockFilesIn(dir: string): Promise<{ name: string; file: boolean; free: boolean }[]> {
  return Promise.all(
    LOCK_FILES.map(async (name) => ({
      name,
      file: (await stat(join(dir, name))).isFile(),
      free: freeForOthers(join(dir, name)),
    })),
  );
}

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
  it('uses the kernel lock on this machine (the lock spec 003’s tool takes)', () => {
    expect(lockMechanism()).toBe('flock');
  });

  it('holds its kernel locks (<dir>/.vellum-external-ids.lock, <file>.json.lock) while it writes', async () => {
    const seen: Awaited<ReturnType<typeof lockFilesIn>>[] = [];
    let dir = '';
    const { fs } = recordingFs(async (call) => {
      if (call.op === 'rename' && call.to?.endsWith('external_id_mapping.json')) {
        seen.push(await lockFilesIn(dir));
      }
    });
    const fresh = await freshMapper({ fs });
    dir = fresh.dir;
    expect(fresh.mapper.paths.lock).toBe(join(dir, LOCK_NAME));
    await fresh.mapper.mapToExternal('T1', 'jira');
    expect(seen).toEqual([LOCK_FILES.map((name) => ({ name, file: true, free: false }))]);
  });

  it('releases the lock when done, also after an error', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'jira');
    // Released, and left in place as an empty regular file (the holder's record is cleared).
    expect(await lockFilesIn(dir)).toEqual(
      LOCK_FILES.map((name) => ({ name, file: true, free: true })),
    );
    for (const name of LOCK_FILES) expect(await readFile(join(dir, name), 'utf8')).toBe('');
    await writeFile(join(dir, 'external_id_counters.json'), '{');
    await writeFile(join(dir, 'external_id_counters.json.bak'), '{');
    await expect(mapper.mapToExternal('T2', 'jira')).rejects.toMatchObject({
      code: 'VELLUM_STATE_UNREADABLE',
    });
    expect(await lockFilesIn(dir)).toEqual(
      LOCK_FILES.map((name) => ({ name, file: true, free: true })),
    );
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
