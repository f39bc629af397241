import { spawnSync } from 'node:child_process';
import { mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  LockCompromisedError,
  LockTimeoutError,
  LockUsageError,
  readJson,
  withLock,
  writeJsonAtomic,
} from '../src/index.js';
import { freshDir, listNames } from './helpers/temp-dir.js';

describe('withLock in one process', () => {
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
    expect(await listNames(dir)).toEqual(['counter.json']);
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
    await expect(withLock(file, () => 'again')).resolves.toBe('again');
    expect(await listNames(dir)).toEqual([]);
  });

  it('refuses re-entry from the same call chain instead of deadlocking', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    const error = await withLock(file, () => withLock(file, () => 1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockUsageError);
    expect(error).toMatchObject({ code: 'VELLUM_LOCK_USAGE' });
    await expect(withLock(join(dir, 'other.json'), () => withLock(file, () => 2))).resolves.toBe(2);
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

  it('times out on a fresh lock held elsewhere, naming the holder', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await mkdir(`${file}.lock`);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      `${file}.lock.owner`,
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
    await mkdir(`${file}.lock`);
    const past = new Date(Date.now() - 12_000);
    await utimes(`${file}.lock`, past, past);
    await expect(withLock(file, () => 'taken', { stale: 2000, lockTimeout: 1000 })).resolves.toBe(
      'taken',
    );
  });

  it('takes over at once from a holder on this host whose process is gone', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await mkdir(`${file}.lock`);
    const info = await stat(`${file}.lock`);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const owner = {
      pid: Number(dead.stdout.toString()),
      hostname: hostname(),
      acquiredAt: 'then',
      lockIno: info.ino,
      lockBirthtimeMs: info.birthtimeMs,
    };
    await writeFile(`${file}.lock.owner`, JSON.stringify(owner));
    const started = Date.now();
    await expect(withLock(file, () => 'mine', { stale: 60_000, lockTimeout: 5_000 })).resolves.toBe(
      'mine',
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('waits for a live holder, and for a dead one whose lock directory was replaced', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await mkdir(`${file}.lock`);
    const info = await stat(`${file}.lock`);
    const alive = {
      pid: process.ppid,
      hostname: hostname(),
      acquiredAt: 'then',
      lockIno: info.ino,
      lockBirthtimeMs: info.birthtimeMs,
    };
    await writeFile(`${file}.lock.owner`, JSON.stringify(alive));
    await expect(
      withLock(file, () => 1, { stale: 60_000, lockTimeout: 150 }),
    ).rejects.toBeInstanceOf(LockTimeoutError);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const replaced = { ...alive, pid: Number(dead.stdout.toString()), lockIno: info.ino + 1 };
    await writeFile(`${file}.lock.owner`, JSON.stringify(replaced));
    await expect(
      withLock(file, () => 1, { stale: 60_000, lockTimeout: 150 }),
    ).rejects.toBeInstanceOf(LockTimeoutError);
  });

  it('fails the commit with LockCompromisedError when the lock was taken over', async () => {
    const dir = await freshDir();
    const file = join(dir, 'x.json');
    await writeJsonAtomic(file, { v: 'before' });
    const error = await withLock(file, async (lock) => {
      // Another process's takeover: the lock directory is replaced and re-owned.
      const { rm } = await import('node:fs/promises');
      await rm(`${file}.lock`, { recursive: true });
      await mkdir(`${file}.lock`);
      await writeFile(
        `${file}.lock.owner`,
        JSON.stringify({ pid: 1, hostname: 'h', acquiredAt: 'now' }),
      );
      await writeJsonAtomic(file, { v: 'stale holder' }, { lock });
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockCompromisedError);
    expect(error).toMatchObject({ code: 'VELLUM_LOCK_COMPROMISED' });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ v: 'before' });
  });
});
