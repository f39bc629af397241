import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LockTimeoutError, lockMechanism, withLock, writeJsonAtomic } from '../../src/index.js';
import {
  TempDirs,
  childScript,
  killLeftoverChildren,
  spawnCommand,
  spawnNode,
  type Child,
} from '../helpers/processes.js';

/**
 * The kernel lock is the one spec 000's bash tool (`flock -x <index>.json.lock`)
 * and spec 003's Python tool (`fcntl.flock` on `<file>.json.lock`) take: each
 * excludes the other, both ways.
 */
const temp = new TempDirs();
afterEach(async () => {
  await killLeftoverChildren();
  await temp.cleanup();
});

/** `flock -n`: exit 0 when it got the lock, 1 when another holds it. */
function flockCommandTry(lockFile: string): number | null {
  return spawnSync('flock', ['-n', '-x', lockFile, '-c', 'true']).status;
}

function pythonTry(lockFile: string): string {
  const run = spawnSync('python3', [childScript('py-flock.py'), 'try', lockFile], {
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`py-flock.py failed: ${run.stderr}`);
  return run.stdout.trim();
}

async function vellumHolder(target: string): Promise<Child> {
  const holder = spawnNode('lock-actor.mjs', [target, 'vellum', 'default', 'default']);
  await holder.waitForEvent('acquired');
  return holder;
}

describe('the kernel lock beside the specs’ own tools', () => {
  it('is the mechanism in use on this machine', () => {
    expect(lockMechanism()).toBe('flock');
  });

  it('a Vellum holder blocks `flock -n` and Python’s LOCK_EX | LOCK_NB; released, both get it', async () => {
    const dir = await temp.make();
    const target = join(dir, 'index.json');
    const holder = await vellumHolder(target);
    expect(flockCommandTry(`${target}.lock`)).toBe(1);
    expect(pythonTry(`${target}.lock`)).toBe('busy');
    holder.send('release');
    await holder.succeeded();
    expect(flockCommandTry(`${target}.lock`)).toBe(0);
    expect(pythonTry(`${target}.lock`)).toBe('locked');
  });

  it('a Vellum holder keeps its lock while Python opens the lock file (truncating it) and waits', async () => {
    const dir = await temp.make();
    const target = join(dir, 'external_id_mapping.json');
    const holder = await vellumHolder(target);
    const python = spawnCommand('python3', [childScript('py-flock.py'), 'hold', `${target}.lock`]);
    holder.send('write');
    expect(await holder.waitForEvent('write')).toMatchObject({ ok: true });
    expect(python.lines).toEqual([]);
    holder.send('release');
    await holder.succeeded();
    await python.waitForText('held');
    python.send('');
    await python.waitForText('released');
    await python.succeeded();
  });

  it('a `flock -x` holder makes Vellum wait and time out naming it; released, Vellum takes the lock', async () => {
    const dir = await temp.make();
    const target = join(dir, 'index.json');
    const tool = spawnCommand('flock', ['-x', `${target}.lock`, '-c', 'echo held; read line']);
    await tool.waitForText('held');
    const error = (await withLock(target, () => 'taken', { lockTimeout: 300 }).catch(
      (e: unknown) => e,
    )) as LockTimeoutError;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error.holder?.pid).toBe(tool.pid);
    expect(error.message).toContain(`held by pid ${tool.pid}`);
    expect(error.message).toContain('flock');

    const waiting = withLock(target, () => writeJsonAtomic(target, { by: 'vellum' }), {
      lockTimeout: 20_000,
    });
    tool.send('');
    await tool.succeeded();
    await waiting;
  });

  it('a Python fcntl.flock holder makes Vellum wait and time out naming it; released, Vellum takes the lock', async () => {
    const dir = await temp.make();
    const target = join(dir, 'external_id_counters.json');
    const python = spawnCommand('python3', [childScript('py-flock.py'), 'hold', `${target}.lock`]);
    await python.waitForText('held');
    const error = (await withLock(target, () => 'taken', { lockTimeout: 300 }).catch(
      (e: unknown) => e,
    )) as LockTimeoutError;
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect(error.holder?.pid).toBe(python.pid);
    expect(error.message).toContain('that is not Vellum');

    let inside = false;
    const waiting = withLock(
      target,
      () => {
        inside = true;
      },
      { lockTimeout: 20_000 },
    );
    python.send('');
    await python.waitForText('released');
    await waiting;
    expect(inside).toBe(true);
    await python.succeeded();
  });
});
