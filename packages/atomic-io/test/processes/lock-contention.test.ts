import { appendFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LockTimeoutError, readJson, withLock, writeJsonAtomic } from '../../src/index.js';
import {
  FALLBACK_LOCK_ENV,
  TempDirs,
  assertNoOverlap,
  killLeftoverChildren,
  runContention,
  spawnNode,
} from '../helpers/processes.js';

const temp = new TempDirs();
afterEach(async () => {
  await killLeftoverChildren();
  await temp.cleanup();
});

describe('withLock across processes', () => {
  it('16 processes x 200 locked read-modify-write increments end at exactly 3,200, sections never overlap', async () => {
    const dir = await temp.make();
    const result = await runContention(dir, 16, 200);
    expect(result.counter).toEqual({ n: 3200 });
    assertNoOverlap(result.log, result.tags, 200);
    // About 30 s on 2 cores (3,200 serialized fsync pairs): more than the default 60 s under load.
  }, 150_000);

  it('4 processes with 8 concurrent callers each: 800 increments, no overlap within or across processes', async () => {
    const dir = await temp.make();
    const result = await runContention(dir, 4, 200, 8);
    expect(result.counter).toEqual({ n: 800 });
    assertNoOverlap(result.log, result.tags, 25);
  });

  it('fallback lock: 4 processes x 2 concurrent callers, 200 increments, no overlap', async () => {
    const dir = await temp.make();
    const result = await runContention(dir, 4, 50, 2, FALLBACK_LOCK_ENV);
    expect(result.counter).toEqual({ n: 200 });
    assertNoOverlap(result.log, result.tags, 25);
  });

  it('times out with LockTimeoutError naming the holder pid, and the lock is free once the holder releases', async () => {
    const dir = await temp.make();
    const target = join(dir, 'target.json');
    const holder = spawnNode('lock-actor.mjs', [target, 'holder', 'default', 'default']);
    await holder.waitForEvent('acquired');

    const waiter = spawnNode('lock-actor.mjs', [target, 'waiter', 'default', '700']);
    const failed = await waiter.waitForEvent<{
      code: string;
      message: string;
      holder: { pid: number };
      waitedMs: number;
    }>('acquire-failed');
    await waiter.succeeded();
    expect(failed.code).toBe('VELLUM_LOCK_TIMEOUT');
    expect(failed.message).toContain(`pid ${holder.pid}`);
    expect(failed.holder.pid).toBe(holder.pid);
    expect(failed.waitedMs).toBeGreaterThanOrEqual(700);

    // The same from this process, with the typed error.
    const error: unknown = await withLock(target, () => 'acquired', { lockTimeout: 300 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).code).toBe('VELLUM_LOCK_TIMEOUT');
    expect((error as LockTimeoutError).holder?.pid).toBe(holder.pid);
    expect((error as LockTimeoutError).message).toContain(`held by pid ${holder.pid}`);

    holder.send('release');
    expect((await holder.waitForEvent('released')).ok).toBe(true);
    await holder.succeeded();
    const next = spawnNode('lock-actor.mjs', [target, 'next', 'default', '2000']);
    await next.waitForEvent('acquired');
    next.send('release');
    await next.succeeded();
  });
});

describe('withLock within one process', () => {
  it('64 concurrent callers run one at a time and lose no increment', async () => {
    const dir = await temp.make();
    const counter = join(dir, 'counter.json');
    await writeJsonAtomic(counter, { n: 0 });
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 64 }, (_, caller) =>
        withLock(counter, async (lock) => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          const current = await readJson<{ n: number }>(counter);
          await writeJsonAtomic(counter, { n: (current?.n ?? 0) + 1 }, { lock });
          order.push(caller);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(await readJson(counter)).toEqual({ n: 64 });
    // Callers in one process are served in arrival order (a queue, not polling).
    expect(order).toEqual(Array.from({ length: 64 }, (_, caller) => caller));
  });

  it('callers in this process and in two child processes share one lock', async () => {
    const dir = await temp.make();
    const counter = join(dir, 'counter.json');
    const log = join(dir, 'critical.log');
    await writeJsonAtomic(counter, { n: 0 });
    await writeFile(log, '');
    const children = [0, 1].map(() => spawnNode('counter.mjs', [counter, log, '40', '4']));
    await Promise.all(children.map((child) => child.waitForText('ready')));
    for (const child of children) child.send('go');
    const local = Promise.all(
      Array.from({ length: 8 }, async (_, slot) => {
        for (let i = 0; i < 5; i++) {
          await withLock(
            counter,
            async (lock) => {
              appendFileSync(log, `enter parent:${slot}\n`);
              const current = await readJson<{ n: number }>(counter);
              await writeJsonAtomic(counter, { n: (current?.n ?? 0) + 1 }, { lock });
              appendFileSync(log, `exit parent:${slot}\n`);
            },
            { lockTimeout: 60_000 },
          );
        }
      }),
    );
    await Promise.all([local, ...children.map((child) => child.succeeded())]);
    expect(await readJson(counter)).toEqual({ n: 120 });
    const lines = (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
    const tags = [
      ...Array.from({ length: 8 }, (_, slot) => `parent:${slot}`),
      ...children.flatMap((child) => [0, 1, 2, 3].map((slot) => `${child.pid}:${slot}`)),
    ];
    assertNoOverlap(lines, tags, (tag) => (tag.startsWith('parent:') ? 5 : 10));
  });
});
