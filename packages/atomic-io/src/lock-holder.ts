import { readFileSync, type Stats } from 'node:fs';
import { hostname } from 'node:os';
import type { LockHolder } from './errors.js';

// Read once: os.hostname() is a system call, and a lock is taken per write.
export const HOST = hostname();

/** The record a Vellum holder writes into its lock file, through the locked descriptor. */
export function holderRecord(): Buffer {
  const holder: LockHolder = {
    pid: process.pid,
    hostname: HOST,
    acquiredAt: new Date().toISOString(),
  };
  return Buffer.from(`${JSON.stringify(holder)}\n`);
}

export function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder> | null;
    if (
      typeof value?.pid === 'number' &&
      typeof value.hostname === 'string' &&
      typeof value.acquiredAt === 'string'
    ) {
      return { pid: value.pid, hostname: value.hostname, acquiredAt: value.acquiredAt };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Linux's `dev_t` split the way `/proc/locks` prints it (`major:minor:inode`, hex:hex:decimal). */
function deviceId(dev: number): string {
  // glibc's major() and minor().
  const d = BigInt(dev);
  const major = ((d & 0xfff00n) >> 8n) | ((d & 0xfffff00000000000n) >> 32n);
  const minor = (d & 0xffn) | ((d & 0xffffff00000n) >> 12n);
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

/**
 * The pids holding a `flock` on this file, from `/proc/locks` (waiters, the
 * `->` lines, left out).
 * @returns undefined where `/proc/locks` cannot be read (not Linux).
 */
export function flockHolders(file: Pick<Stats, 'dev' | 'ino'>): number[] | undefined {
  const table = readText('/proc/locks');
  if (table === undefined) return undefined;
  const id = `${deviceId(file.dev)}:${file.ino}`;
  const pids: number[] = [];
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    // "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234 0 EOF"
    if (fields[1] === 'FLOCK' && fields[5] === id) pids.push(Number(fields[4]));
  }
  return pids;
}

/** `flock`, `python3`...: what the kernel calls a process. */
function commandOf(pid: number): string | undefined {
  return readText(`/proc/${pid}/comm`)?.trim();
}

/**
 * Who holds the kernel lock on `lockFile`: the record a Vellum holder wrote,
 * when `/proc/locks` confirms that its pid holds the lock (or cannot be read);
 * else the pid `/proc/locks` names (a process that is not Vellum writes no record,
 * and one that opens the file with truncation, like spec 003's tool, erases ours).
 */
export function kernelLockHolder(
  lockFile: string,
  info: Pick<Stats, 'dev' | 'ino'>,
): LockHolder | undefined {
  const text = readText(lockFile);
  const record = text === undefined ? undefined : parseHolder(text);
  const pids = flockHolders(info);
  if (pids === undefined || pids.length === 0) return record;
  if (record !== undefined && record.hostname === HOST && pids.includes(record.pid)) return record;
  const pid = pids[0] as number;
  const command = commandOf(pid);
  return {
    pid,
    hostname: HOST,
    acquiredAt: `an unknown time (${command ?? 'a process'} that is not Vellum)`,
  };
}
