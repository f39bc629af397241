import { existsSync } from 'node:fs';
import { readFile, readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FALLBACK_LOCK_ENV,
  TempDirs,
  killLeftoverChildren,
  spawnNode,
} from '../helpers/processes.js';

const temp = new TempDirs();
afterEach(async () => {
  await killLeftoverChildren();
  await temp.cleanup();
});

interface Outcome {
  ok: boolean;
  name?: string;
  code?: string;
  message?: string;
  aborted?: boolean;
}

/** The state letter of a process in /proc (`T`: stopped). */
async function processState(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return /^\d+ \(.*\) (\S)/.exec(stat)?.[1];
}

/**
 * A child that prints a line and then SIGSTOPs itself may be seen running for
 * a moment after the line arrives: wait (up to 5 s) until the kernel shows it stopped.
 */
async function waitUntilStopped(pid: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while ((await processState(pid)) !== 'T') {
    if (Date.now() > deadline) throw new Error(`process ${pid} did not stop`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A racer starts taking over the stalled or dead holder's lock and freezes
 * itself right before it removes or back-dates the lock directory (its stale
 * decision is made). Another process takes the lock meanwhile and writes. When
 * the racer resumes, its decision is out of date: it must not get the lock while
 * the other process holds it.
 */
async function expectExclusiveAfterDelayedTakeover(
  target: string,
  stale: string,
  racerTimeout: number,
): Promise<void> {
  const racer = spawnNode(
    'lock-actor.mjs',
    [target, 'racer', stale, String(racerTimeout), 'pause-on-takeover'],
    FALLBACK_LOCK_ENV,
  );
  const paused = await racer.waitForEvent<{ op: string }>(['paused', 'acquired', 'acquire-failed']);
  expect(paused.event, 'the racer reached the take-over').toBe('paused');
  await waitUntilStopped(racer.pid);

  const winner = spawnNode('lock-actor.mjs', [target, 'winner', stale, '10000'], FALLBACK_LOCK_ENV);
  await winner.waitForEvent('acquired');
  winner.send('write');
  expect(await winner.waitForEvent<Outcome>('write')).toMatchObject({ ok: true });

  racer.kill('SIGCONT');
  const outcome = await racer.waitForEvent<Outcome>(['acquired', 'acquire-failed']);
  racer.send('release');
  await racer.succeeded();
  expect(
    outcome.event,
    `the racer (paused before ${paused.op}) took the lock while the winner held it`,
  ).toBe('acquire-failed');
  expect(outcome).toMatchObject({ code: 'VELLUM_LOCK_TIMEOUT' });
  winner.send('check');
  expect(await winner.waitForEvent<Outcome>('check')).toMatchObject({ ok: true });
  winner.send('release');
  expect(await winner.waitForEvent<Outcome>('released')).toMatchObject({ ok: true });
  await winner.succeeded();
  expect(await targetValue(target)).toEqual({ by: 'winner' });
}

async function targetValue(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

describe('kernel lock: a holder frozen with SIGSTOP keeps the lock', () => {
  it('a waiter times out naming the frozen holder; resumed, the holder still holds the lock and commits', async () => {
    const dir = await temp.make();
    const target = join(dir, 'target.json');
    const first = spawnNode('lock-actor.mjs', [target, 'first', 'default', 'default']);
    await first.waitForEvent('acquired');
    first.kill('SIGSTOP');
    await waitUntilStopped(first.pid);

    const second = spawnNode('lock-actor.mjs', [target, 'second', 'default', '1500']);
    const attempt = await second.waitForEvent<Outcome & { holder?: { pid: number } }>([
      'acquired',
      'acquire-failed',
    ]);
    second.send('release');
    await second.succeeded();
    expect(attempt.event, 'a process took the lock while its holder was frozen').toBe(
      'acquire-failed',
    );
    expect(attempt).toMatchObject({ code: 'VELLUM_LOCK_TIMEOUT', holder: { pid: first.pid } });
    expect(attempt.message).toContain(`held by pid ${first.pid}`);

    first.kill('SIGCONT');
    first.send('check');
    expect(await first.waitForEvent<Outcome>('check')).toMatchObject({ ok: true, aborted: false });
    first.send('write');
    expect(await first.waitForEvent<Outcome>('write')).toMatchObject({ ok: true });
    first.send('release');
    expect(await first.waitForEvent<Outcome>('released')).toMatchObject({ ok: true });
    await first.succeeded();
    expect(await targetValue(target)).toEqual({ by: 'first' });

    const third = spawnNode('lock-actor.mjs', [target, 'third', 'default', '5000']);
    await third.waitForEvent('acquired');
    third.send('release');
    await third.succeeded();
  });

  it('frozen inside writeJsonAtomic, after the fsync and before the rename: nobody else writes, and the rename commits on resume', async () => {
    const dir = await temp.make();
    const target = join(dir, 'target.json');
    const first = spawnNode('lock-actor.mjs', [target, 'first', 'default', 'default']);
    await first.waitForEvent('acquired');
    first.send('write-stalled');
    await first.waitForText('stopping');
    await waitUntilStopped(first.pid);

    const second = spawnNode('lock-actor.mjs', [target, 'second', 'default', '1000']);
    expect(await second.waitForEvent<Outcome>(['acquired', 'acquire-failed'])).toMatchObject({
      event: 'acquire-failed',
      code: 'VELLUM_LOCK_TIMEOUT',
    });
    second.send('release');
    await second.succeeded();

    first.kill('SIGCONT');
    expect(await first.waitForEvent<Outcome>('write-stalled')).toMatchObject({ ok: true });
    first.send('release');
    expect(await first.waitForEvent<Outcome>('released')).toMatchObject({ ok: true });
    await first.succeeded();
    expect(await targetValue(target)).toEqual({ by: 'first' });
    expect((await readdir(dir)).filter((name) => name.includes('.vellum-tmp-'))).toEqual([]);
  });
});

describe('kernel lock: a holder SIGKILLed inside its critical section', () => {
  it('the kernel releases its lock at once: the next process takes it and sees the last committed value', async () => {
    const dir = await temp.make();
    const target = join(dir, 'target.json');
    const dead = spawnNode('lock-actor.mjs', [target, 'dead', 'default', 'default']);
    await dead.waitForEvent('acquired');
    dead.send('write');
    expect(await dead.waitForEvent<Outcome>('write')).toMatchObject({ ok: true });
    dead.kill('SIGKILL');
    expect((await dead.exited).signal).toBe('SIGKILL');
    expect(existsSync(`${target}.lock`), 'the lock file stays').toBe(true);

    // A 1 s timeout: no stale period to wait out, no take-over.
    const next = spawnNode('lock-actor.mjs', [target, 'next', 'default', '1000']);
    const acquired = await next.waitForEvent<{ waitedMs: number }>(['acquired', 'acquire-failed']);
    expect(acquired).toMatchObject({ event: 'acquired' });
    expect(await targetValue(target)).toEqual({ by: 'dead' });
    next.send('write');
    expect(await next.waitForEvent<Outcome>('write')).toMatchObject({ ok: true });
    next.send('release');
    await next.succeeded();
    expect(await targetValue(target)).toEqual({ by: 'next' });
  });
});

describe('fallback lock (proper-lockfile): a holder that stalls past `stale`', () => {
  it('SIGSTOPped holder: another process takes the lock over, the resumed holder fails with LockCompromisedError before renaming', async () => {
    const dir = await temp.make();
    const target = join(dir, 'target.json');
    const first = spawnNode(
      'lock-actor.mjs',
      [target, 'first', '2000', 'default'],
      FALLBACK_LOCK_ENV,
    );
    await first.waitForEvent('acquired');
    // The first holder is inside its critical section, about to write: freeze it there.
    first.kill('SIGSTOP');
    const stoppedAt = Date.now();

    // The second waits until the frozen lock is stale (2 s without a refresh), then takes it.
    const second = spawnNode(
      'lock-actor.mjs',
      [target, 'second', '2000', '15000'],
      FALLBACK_LOCK_ENV,
    );
    await second.waitForEvent('acquired');
    // The lock was refreshed last when it was taken, just before the stop.
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(1900);
    second.send('write');
    expect(await second.waitForEvent<Outcome>('write')).toMatchObject({ ok: true });
    expect(await targetValue(target)).toEqual({ by: 'second' });

    // Resume the first: its commit must be refused, and nothing renamed.
    first.kill('SIGCONT');
    first.send('write');
    const write = await first.waitForEvent<Outcome>('write');
    expect(write).toMatchObject({
      ok: false,
      name: 'LockCompromisedError',
      code: 'VELLUM_LOCK_COMPROMISED',
      aborted: true,
    });
    expect(await targetValue(target)).toEqual({ by: 'second' });
    first.send('release');
    expect(await first.waitForEvent<Outcome>('released')).toMatchObject({
      ok: false,
      code: 'VELLUM_LOCK_COMPROMISED',
    });
    await first.succeeded();

    // The loser's clean-up must not have touched the new holder's lock.
    expect(existsSync(`${target}.lock.d`), 'the lock directory of the second holder exists').toBe(
      true,
    );
    second.send('check');
    expect(await second.waitForEvent<Outcome>('check')).toMatchObject({ ok: true });
    second.send('release');
    expect(await second.waitForEvent<Outcome>('released')).toMatchObject({ ok: true });
    await second.succeeded();
    expect(await targetValue(target)).toEqual({ by: 'second' });
  });

  it('holder SIGSTOPped inside writeJsonAtomic, after the fsync and before the commit: the rename is refused', async () => {
    const dir = await temp.make();
    const target = join(dir, 'target.json');
    const first = spawnNode(
      'lock-actor.mjs',
      [target, 'first', '2000', 'default'],
      FALLBACK_LOCK_ENV,
    );
    await first.waitForEvent('acquired');
    first.send('write-stalled');
    await first.waitForText('stopping');
    await waitUntilStopped(first.pid);

    const second = spawnNode(
      'lock-actor.mjs',
      [target, 'second', '2000', '15000'],
      FALLBACK_LOCK_ENV,
    );
    await second.waitForEvent('acquired');
    // The first process is still frozen inside its write.
    expect(await processState(first.pid)).toBe('T');
    second.send('write');
    expect(await second.waitForEvent<Outcome>('write')).toMatchObject({ ok: true });

    first.kill('SIGCONT');
    expect(await first.waitForEvent<Outcome>('write-stalled')).toMatchObject({
      ok: false,
      code: 'VELLUM_LOCK_COMPROMISED',
    });
    expect(await targetValue(target)).toEqual({ by: 'second' });
    // The refused write removed its temp file.
    expect((await readdir(dir)).filter((name) => name.includes('.vellum-tmp-'))).toEqual([]);
    first.send('release');
    expect(await first.waitForEvent<Outcome>('released')).toMatchObject({
      ok: false,
      code: 'VELLUM_LOCK_COMPROMISED',
    });
    await first.succeeded();

    expect(existsSync(`${target}.lock.d`), 'the lock directory of the second holder exists').toBe(
      true,
    );
    second.send('check');
    expect(await second.waitForEvent<Outcome>('check')).toMatchObject({ ok: true });
    second.send('release');
    await second.succeeded();
    expect(await targetValue(target)).toEqual({ by: 'second' });
  });

  it('a waiter that judged the lock stale and was delayed does not remove the lock another waiter took meanwhile', async () => {
    const dir = await temp.make();
    const target = join(dir, 'target.json');
    const holder = spawnNode(
      'lock-actor.mjs',
      [target, 'holder', '2000', 'default'],
      FALLBACK_LOCK_ENV,
    );
    await holder.waitForEvent('acquired');
    holder.kill('SIGSTOP');
    await expectExclusiveAfterDelayedTakeover(target, '2000', 5000);
  });

  it('lock mtime back-dated 12 s: a second process takes it over; the first holder fails with LockCompromisedError, does not crash, and leaves the new lock alone', async () => {
    const dir = await temp.make();
    const target = join(dir, 'target.json');
    const lockPath = `${target}.lock.d`;
    // Default stale (10 s): the holder's refresh timer runs every 5 s, so only the
    // write's own check can notice the take-over in this test's time frame.
    const first = spawnNode(
      'lock-actor.mjs',
      [target, 'first', 'default', 'default'],
      FALLBACK_LOCK_ENV,
    );
    await first.waitForEvent('acquired');
    const past = new Date(Date.now() - 12_000);
    await utimes(lockPath, past, past);

    const second = spawnNode(
      'lock-actor.mjs',
      [target, 'second', 'default', '5000'],
      FALLBACK_LOCK_ENV,
    );
    await second.waitForEvent('acquired');
    second.send('write');
    expect(await second.waitForEvent<Outcome>('write')).toMatchObject({ ok: true });

    first.send('write');
    expect(await first.waitForEvent<Outcome>('write')).toMatchObject({
      ok: false,
      name: 'LockCompromisedError',
      code: 'VELLUM_LOCK_COMPROMISED',
      aborted: true,
    });
    expect(await targetValue(target)).toEqual({ by: 'second' });
    first.send('release');
    expect(await first.waitForEvent<Outcome>('released')).toMatchObject({
      ok: false,
      code: 'VELLUM_LOCK_COMPROMISED',
    });
    await first.succeeded();

    // The second still holds the lock, so a third process cannot take it...
    const third = spawnNode(
      'lock-actor.mjs',
      [target, 'third', 'default', '500'],
      FALLBACK_LOCK_ENV,
    );
    const attempt = await third.waitForEvent<Outcome & { holder?: { pid: number } }>([
      'acquired',
      'acquire-failed',
    ]);
    third.send('release');
    await third.succeeded();
    expect(attempt.event, 'a third process took the lock while the second still held it').toBe(
      'acquire-failed',
    );
    expect(attempt).toMatchObject({ code: 'VELLUM_LOCK_TIMEOUT', holder: { pid: second.pid } });
    // ...its directory is there and its check passes.
    expect(existsSync(lockPath), 'the lock directory of the second holder exists').toBe(true);
    second.send('check');
    expect(await second.waitForEvent<Outcome>('check')).toMatchObject({ ok: true });

    second.send('release');
    expect(await second.waitForEvent<Outcome>('released')).toMatchObject({ ok: true });
    await second.succeeded();
    expect(await targetValue(target)).toEqual({ by: 'second' });
  });
});

describe('fallback lock (proper-lockfile): a holder SIGKILLed inside its critical section', () => {
  it('the next process takes the lock without waiting for `stale`, and sees the last committed value', async () => {
    const dir = await temp.make();
    const target = join(dir, 'target.json');
    const dead = spawnNode(
      'lock-actor.mjs',
      [target, 'dead', 'default', 'default'],
      FALLBACK_LOCK_ENV,
    );
    await dead.waitForEvent('acquired');
    dead.send('write');
    expect(await dead.waitForEvent<Outcome>('write')).toMatchObject({ ok: true });
    dead.kill('SIGKILL');
    expect((await dead.exited).signal).toBe('SIGKILL');
    expect(existsSync(`${target}.lock.d`), 'the dead holder left its lock').toBe(true);

    // Default stale is 10 s; a timeout of 5 s only passes if the dead holder is detected.
    const next = spawnNode(
      'lock-actor.mjs',
      [target, 'next', 'default', '5000'],
      FALLBACK_LOCK_ENV,
    );
    const acquired = await next.waitForEvent<{ waitedMs: number }>(['acquired', 'acquire-failed']);
    expect(acquired).toMatchObject({ event: 'acquired' });
    expect(acquired.waitedMs).toBeLessThan(5000);
    expect(await targetValue(target)).toEqual({ by: 'dead' });
    next.send('check');
    expect(await next.waitForEvent<Outcome>('check')).toMatchObject({ ok: true });
    next.send('release');
    await next.succeeded();
  });

  it('a waiter delayed between judging the holder dead and expiring its lock does not break the lock another waiter took meanwhile', async () => {
    const dir = await temp.make();
    const target = join(dir, 'target.json');
    const holder = spawnNode(
      'lock-actor.mjs',
      [target, 'holder', 'default', 'default'],
      FALLBACK_LOCK_ENV,
    );
    await holder.waitForEvent('acquired');
    holder.kill('SIGKILL');
    await holder.exited;
    await expectExclusiveAfterDelayedTakeover(target, 'default', 2000);
  });

  it('while one waiter holds the take-over ticket, no other can take the same lock over', async () => {
    const dir = await temp.make();
    const target = join(dir, 'target.json');
    const holder = spawnNode(
      'lock-actor.mjs',
      [target, 'holder', 'default', 'default'],
      FALLBACK_LOCK_ENV,
    );
    await holder.waitForEvent('acquired');
    holder.kill('SIGKILL');
    await holder.exited;
    const racer = spawnNode(
      'lock-actor.mjs',
      [target, 'racer', 'default', '10000', 'pause-before-remove'],
      FALLBACK_LOCK_ENV,
    );
    expect(
      (await racer.waitForEvent<{ op: string }>(['paused', 'acquired', 'acquire-failed'])).event,
    ).toBe('paused');
    await waitUntilStopped(racer.pid);
    // The dead holder's lock is the racer's to remove: another waiter must not take it too.
    const other = spawnNode(
      'lock-actor.mjs',
      [target, 'other', 'default', '1500'],
      FALLBACK_LOCK_ENV,
    );
    expect(await other.waitForEvent<Outcome>(['acquired', 'acquire-failed'])).toMatchObject({
      event: 'acquire-failed',
      code: 'VELLUM_LOCK_TIMEOUT',
    });
    await other.succeeded();
    racer.kill('SIGCONT');
    await racer.waitForEvent('acquired');
    racer.send('write');
    expect(await racer.waitForEvent<Outcome>('write')).toMatchObject({ ok: true });
    racer.send('release');
    await racer.succeeded();
    expect(await targetValue(target)).toEqual({ by: 'racer' });
  });
});
