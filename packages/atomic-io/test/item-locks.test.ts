import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidIdError, ItemLockedError, ItemLocks } from '../src/index.js';
import { freshDir } from './helpers/temp-dir.js';

describe('ItemLocks (spec 002 lock files)', () => {
  it('names lock files {item-id}.lock.{locked-by}.{unix-timestamp}', async () => {
    const dir = join(await freshDir(), 'locks', 'issues');
    const locks = new ItemLocks(dir, { now: () => 1_704_110_400_000 });
    const lock = await locks.acquire('issue-001', 'user123');
    expect(lock.path).toBe(join(dir, 'issue-001.lock.user123.1704110400'));
    expect((await readdir(dir)).filter((n) => !n.startsWith('.'))).toEqual([
      'issue-001.lock.user123.1704110400',
    ]);
  });

  it('refuses a second holder until the lock expires, then cleans it up', async () => {
    const dir = await freshDir();
    let now = 1_704_110_400_000;
    const locks = new ItemLocks(dir, { ttlMs: 60_000, now: () => now });
    await locks.acquire('epic-001', 'ai-agent');
    const error = await locks.acquire('epic-001', 'user456').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ItemLockedError);
    expect(error).toMatchObject({
      code: 'VELLUM_ITEM_LOCKED',
      lockedBy: 'ai-agent',
      itemId: 'epic-001',
    });
    now += 60_000;
    const taken = await locks.acquire('epic-001', 'user456');
    expect(taken.lockedBy).toBe('user456');
    expect((await locks.list()).map((l) => l.lockedBy)).toEqual(['user456']);
  });

  it('renews for the same holder, releases, and reports the holder', async () => {
    const dir = await freshDir();
    let now = 1_000_000_000_000;
    const locks = new ItemLocks(dir, { now: () => now });
    await locks.acquire('project', 'user456');
    now += 5000;
    await locks.acquire('project', 'user456');
    expect(await locks.list()).toHaveLength(1);
    expect((await locks.holder('project'))?.lockedAt.getTime()).toBe(now);
    expect(await locks.release('project', 'user456')).toBe(true);
    expect(await locks.holder('project')).toBeUndefined();
    expect(await locks.release('project', 'user456')).toBe(false);
  });

  it('reads lock files written by other tools and cleans expired ones', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, 'issue-001.lock.user123.1704110400'), '');
    await writeFile(join(dir, 'issue-002.lock.bot.1704114000'), '');
    const locks = new ItemLocks(dir, { ttlMs: 3_600_000, now: () => 1_704_114_000_000 });
    const removed = await locks.cleanExpired();
    expect(removed.map((l) => l.itemId)).toEqual(['issue-001']);
    expect((await locks.list()).map((l) => l.itemId)).toEqual(['issue-002']);
  });

  it('lets exactly one of many concurrent callers take the lock', async () => {
    const dir = await freshDir();
    const locks = new ItemLocks(dir);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => locks.acquire('issue-9', `agent${i}`)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && r.reason instanceof ItemLockedError),
    ).toHaveLength(19);
  });

  it('rejects unsafe ids and holders with dots', async () => {
    const locks = new ItemLocks(await freshDir());
    await expect(locks.acquire('../x', 'me')).rejects.toBeInstanceOf(InvalidIdError);
    await expect(locks.acquire('x', 'me.you')).rejects.toBeInstanceOf(InvalidIdError);
  });
});
