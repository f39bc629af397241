import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { deadPid } from '@vellum/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  LOCK_MECHANISM_ENV,
  LockCompromisedError,
  LockTimeoutError,
  LockUsageError,
  VellumError,
  lockMechanism,
  readJson,
  withLock,
  writeJsonAtomic,
  type LockMechanism,
} from '../src/index.js';
import { freshDir, listNames } from './helpers/temp-dir.js';

/** Runs the tests of a describe block with `mechanism` forced (the fallback) or the default. */
function useMechanism(mechanism: LockMechanism): void {
  beforeEach(() => {
    if (mechanism === 'proper-lockfile') process.env[LOCK_MECHANISM_ENV] = 'proper-lockfile';
    else delete process.env[LOCK_MECHANISM_ENV];
  });
  afterEach(() => {
    delete process.env[LOCK_MECHANISM_ENV];
  });
}

/** What a released lock leaves beside `name`: the kernel lock's file, or nothing. */
function leftBy(mechanism: LockMechanism, name: string): string[] {
  return mechanism === 'flock' ? [`${name}.lock`] : [];
}

describe.each<LockMechanism>(['flock', 'proper-lockfile'])(
  'withLock in one process (%s)',
  (mechanism) => {
    useMechanism(mechanism);

    it('is the mechanism in use', () => {
      expect(lockMechanism()).toBe(mechanism);
    });

    it('serializes 200 concurrent read-modify-writes without losing one', async () => {
      const dir = await freshDir();
      const file = join(dir, 'counter.json');
      let inside = 0;
      let maxInside = 0;
      await Promise.all(
        Array.from({ length: 200 }, () =>
          withLock(
            file,
            async (lock) => {
              inside++;
              maxInside = Math.max(maxInside, inside);
              const current = (await readJson<{ n: number }>(file)) ?? { n: 0 };
              await writeJsonAtomic(file, { n: current.n + 1 }, { lock });
              inside--;
              // Correctness, not speed: a loaded CI machine may take longer than the default 10 s.
            },
            { lockTimeout: 120_000 },
          ),
        ),
      );
      expect(await readJson(file)).toEqual({ n: 200 });
      expect(maxInside).toBe(1);
      expect(await listNames(dir)).toEqual(['counter.json', ...leftBy(mechanism, 'counter.json')]);
    });

    it('returns the critical section result and releases on error', async () => {
      const dir = await freshDir();
      const file = join(dir, 'x.json');
      await expect(withLock(file, () => 42)).resolves.toBe(42);
      await expect(
        withLock(file, () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      await expect(withLock(file, () => 'again', { lockTimeout: 100 })).resolves.toBe('again');
      expect(await listNames(dir)).toEqual(leftBy(mechanism, 'x.json'));
    });

    it('refuses re-entry from the same call chain instead of deadlocking', async () => {
      const dir = await freshDir();
      const file = join(dir, 'x.json');
      const error = await withLock(file, () => withLock(file, () => 1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockUsageError);
      expect(error).toMatchObject({ code: 'VELLUM_LOCK_USAGE' });
      await expect(withLock(join(dir, 'other.json'), () => withLock(file, () => 2))).resolves.toBe(
        2,
      );
    });

    it('times out waiting behind a holder in this process', async () => {
      const dir = await freshDir();
      const file = join(dir, 'x.json');
      let release!: () => void;
      const holding = withLock(file, () => new Promise<void>((r) => (release = r)));
      const error = await withLock(file, () => 1, { lockTimeout: 50 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockTimeoutError);
      expect((error as LockTimeoutError).holder?.pid).toBe(process.pid);
      release();
      await holding;
      await expect(withLock(file, () => 'after')).resolves.toBe('after');
    });
  },
);

describe('withLock with the kernel lock (flock)', () => {
  useMechanism('flock');

  it('locks the regular file <path>.lock, which names the holder while held and is never removed', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    const seen = await withLock(file, async () => ({
      isFile: (await stat(`${file}.lock`)).isFile(),
      record: JSON.parse(await readFile(`${file}.lock`, 'utf8')) as unknown,
    }));
    expect(seen.isFile).toBe(true);
    expect(seen.record).toEqual({
      pid: process.pid,
      hostname: hostname(),
      acquiredAt: expect.any(String) as unknown,
    });
    // Released: the file stays (removing it would let two processes lock two different files).
    expect(await readFile(`${file}.lock`, 'utf8')).toBe('');
    await withLock(file, () => undefined, { lockPath: join(dir, 'custom.lock') });
    expect(await listNames(dir)).toEqual(['custom.lock', 'x.json.lock']);
  });

  for (const how of ['removed', 'replaced'] as const) {
    it(`a lock file ${how} while held: the commit fails with LockCompromisedError and publishes nothing`, async () => {
      const dir = await freshDir();
      const file = join(dir, 'x.json');
      await writeJsonAtomic(file, { v: 'before' });
      let aborted = false;
      const error = await withLock(file, async (lock) => {
        await rm(`${file}.lock`);
        if (how === 'replaced') await writeFile(`${file}.lock`, '');
        try {
          await writeJsonAtomic(file, { v: 'unguarded' }, { lock });
        } finally {
          aborted = lock.signal.aborted;
        }
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockCompromisedError);
      expect(error).toMatchObject({ code: 'VELLUM_LOCK_COMPROMISED' });
      expect((error as Error).message).toContain(how);
      expect(aborted).toBe(true);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ v: 'before' });
      await expect(withLock(file, () => 'next', { lockTimeout: 100 })).resolves.toBe('next');
    });
  }

  it('removes an abandoned lock directory of an older Vellum (not refreshed for 10 s) and its owner file', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await mkdir(`${file}.lock`);
    await writeFile(
      `${file}.lock.owner`,
      JSON.stringify({ pid: 4242, hostname: 'h', acquiredAt: 'then' }),
    );
    const past = new Date(Date.now() - 12_000);
    await utimes(`${file}.lock`, past, past);
    await expect(withLock(file, () => 'taken', { lockTimeout: 1000 })).resolves.toBe('taken');
    expect((await stat(`${file}.lock`)).isFile()).toBe(true);
    expect(await listNames(dir)).toEqual(['x.json.lock']);
  });

  it('waits for a fresh lock directory of an older Vellum, and times out naming its owner', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await mkdir(`${file}.lock`);
    await writeFile(
      `${file}.lock.owner`,
      JSON.stringify({ pid: 4242, hostname: 'elsewhere', acquiredAt: 'then' }),
    );
    const error = (await withLock(file, () => 1, { lockTimeout: 200 }).catch(
      (e: unknown) => e,
    )) as LockTimeoutError;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error.holder).toEqual({ pid: 4242, hostname: 'elsewhere', acquiredAt: 'then' });
    expect((await stat(`${file}.lock`)).isDirectory()).toBe(true);
  });

  it('refuses a directory at the lock path that is not a lock (not empty)', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await mkdir(`${file}.lock`);
    await writeFile(join(`${file}.lock`, 'keep'), 'data');
    const past = new Date(Date.now() - 12_000);
    await utimes(`${file}.lock`, past, past);
    const error = await withLock(file, () => 1, { lockTimeout: 500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VellumError);
    expect(error).toMatchObject({ code: 'VELLUM_LOCK_FAILED' });
    expect(await readFile(join(`${file}.lock`, 'keep'), 'utf8')).toBe('data');
  });
});

describe('withLock with the fallback lock (proper-lockfile, forced)', () => {
  useMechanism('proper-lockfile');

  it("takes the directory <path>.lock.d, never the kernel lock file's path", async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    const names = await withLock(file, async () => ({
      directory: (await stat(`${file}.lock.d`)).isDirectory(),
      listed: await listNames(dir),
    }));
    expect(names).toEqual({ directory: true, listed: ['x.json.lock.d', 'x.json.lock.d.owner'] });
    expect(await listNames(dir)).toEqual([]);
  });

  it('times out on a fresh lock held elsewhere, naming the holder', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await mkdir(`${file}.lock.d`);
    await writeFile(
      `${file}.lock.d.owner`,
      JSON.stringify({ pid: 4242, hostname: 'elsewhere', acquiredAt: 'then' }),
    );
    const started = Date.now();
    const error = (await withLock(file, () => 1, { lockTimeout: 200 }).catch(
      (e: unknown) => e,
    )) as LockTimeoutError;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error.code).toBe('VELLUM_LOCK_TIMEOUT');
    expect(error.holder).toEqual({ pid: 4242, hostname: 'elsewhere', acquiredAt: 'then' });
    expect(error.message).toContain('pid 4242');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('takes over a lock whose holder stopped refreshing it past stale', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await mkdir(`${file}.lock.d`);
    const past = new Date(Date.now() - 12_000);
    await utimes(`${file}.lock.d`, past, past);
    await expect(withLock(file, () => 'taken', { stale: 2000, lockTimeout: 1000 })).resolves.toBe(
      'taken',
    );
  });

  it('takes over at once from a holder on this host whose process is gone', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await mkdir(`${file}.lock.d`);
    const info = await stat(`${file}.lock.d`);
    const owner = {
      pid: deadPid(),
      hostname: hostname(),
      acquiredAt: 'then',
      lockIno: info.ino,
      lockBirthtimeMs: info.birthtimeMs,
    };
    await writeFile(`${file}.lock.d.owner`, JSON.stringify(owner));
    const started = Date.now();
    await expect(withLock(file, () => 'mine', { stale: 60_000, lockTimeout: 5_000 })).resolves.toBe(
      'mine',
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('waits for a holder whose liveness the system cannot tell (not ESRCH): unknown is not dead', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await mkdir(`${file}.lock.d`);
    const info = await stat(`${file}.lock.d`);
    const pid = deadPid();
    const owner = {
      pid,
      hostname: hostname(),
      acquiredAt: 'then',
      lockIno: info.ino,
      lockBirthtimeMs: info.birthtimeMs,
    };
    await writeFile(`${file}.lock.d.owner`, JSON.stringify(owner));
    const kill = process.kill.bind(process);
    const spy = vi.spyOn(process, 'kill').mockImplementation((target, signal) => {
      if (target === pid) throw Object.assign(new Error('kill EINVAL'), { code: 'EINVAL' });
      return kill(target, signal);
    });
    try {
      await expect(
        withLock(file, () => 1, { stale: 60_000, lockTimeout: 300 }),
      ).rejects.toBeInstanceOf(LockTimeoutError);
      expect(spy).toHaveBeenCalledWith(pid, 0);
    } finally {
      spy.mockRestore();
    }
  });

  it('waits for a live holder, and for a dead one whose lock directory was replaced', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await mkdir(`${file}.lock.d`);
    const info = await stat(`${file}.lock.d`);
    const alive = {
      pid: process.ppid,
      hostname: hostname(),
      acquiredAt: 'then',
      lockIno: info.ino,
      lockBirthtimeMs: info.birthtimeMs,
    };
    await writeFile(`${file}.lock.d.owner`, JSON.stringify(alive));
    await expect(
      withLock(file, () => 1, { stale: 60_000, lockTimeout: 150 }),
    ).rejects.toBeInstanceOf(LockTimeoutError);
    const replaced = { ...alive, pid: deadPid(), lockIno: info.ino + 1 };
    await writeFile(`${file}.lock.d.owner`, JSON.stringify(replaced));
    await expect(
      withLock(file, () => 1, { stale: 60_000, lockTimeout: 150 }),
    ).rejects.toBeInstanceOf(LockTimeoutError);
  });

  it('fails the commit with LockCompromisedError when the lock was taken over', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await writeJsonAtomic(file, { v: 'before' });
    const error = await withLock(file, async (lock) => {
      // Another process's take-over: the lock directory is replaced and re-owned.
      await rm(`${file}.lock.d`, { recursive: true });
      await mkdir(`${file}.lock.d`);
      await writeFile(
        `${file}.lock.d.owner`,
        JSON.stringify({ pid: 1, hostname: 'h', acquiredAt: 'now' }),
      );
      await writeJsonAtomic(file, { v: 'stale holder' }, { lock });
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockCompromisedError);
    expect(error).toMatchObject({ code: 'VELLUM_LOCK_COMPROMISED' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ v: 'before' });
  });
});
