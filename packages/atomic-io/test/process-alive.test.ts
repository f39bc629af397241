import { deadPid } from '@vellum/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { processIsAlive } from '../src/index.js';

function failKill(code: string): void {
  vi.spyOn(process, 'kill').mockImplementation(() => {
    throw Object.assign(new Error(`kill: ${code}`), { code });
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('processIsAlive', () => {
  it('is true for this process and for its parent', () => {
    expect(processIsAlive(process.pid)).toBe(true);
    expect(processIsAlive(process.ppid)).toBe(true);
  });

  it('is false for a process that has exited (ESRCH)', () => {
    expect(processIsAlive(deadPid())).toBe(false);
  });

  it('is true for a process of another user (EPERM)', () => {
    failKill('EPERM');
    expect(processIsAlive(4242)).toBe(true);
  });

  it('counts an unknown answer as alive, never as dead', () => {
    for (const code of ['EINVAL', 'EIO', 'ENOSYS']) {
      failKill(code);
      expect(processIsAlive(4242), code).toBe(true);
      vi.restoreAllMocks();
    }
  });

  it('never signals a process group: 0, negative and non-integer pids are unknown', () => {
    const kill = vi.spyOn(process, 'kill');
    for (const pid of [0, -1, -4242, 1.5, Number.NaN]) expect(processIsAlive(pid)).toBe(true);
    expect(kill).not.toHaveBeenCalled();
  });
});
