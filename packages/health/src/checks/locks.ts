import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { lockMechanism, processIsAlive } from '@vellum/atomic-io';
import type { CheckOutcome, HealthCheck, HealthIssue } from '../types.js';
import { lockDirectoryKind } from '../lock-dirs.js';

/** What the directory locks write to `<lock directory>.owner`. */
interface LockOwner {
  pid: number;
  hostname: string;
  acquiredAt: string | undefined;
}

const KIND_LABEL = {
  fallback: 'lock',
  legacy: 'lock directory of an older Vellum',
} as const;

async function readOwner(lockDir: string): Promise<LockOwner | undefined> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(`${lockDir}.owner`, 'utf8'));
  } catch {
    // No owner file (not written yet, or another tool's lock): judge by mtime alone.
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { pid, hostname: host, acquiredAt } = value as Record<string, unknown>;
  if (typeof pid !== 'number' || typeof host !== 'string') return undefined;
  return {
    pid,
    hostname: host,
    acquiredAt: typeof acquiredAt === 'string' ? acquiredAt : undefined,
  };
}

function describe(owner: LockOwner | undefined): string {
  if (owner === undefined) return 'owner unknown';
  const since = owner.acquiredAt === undefined ? '' : ` since ${owner.acquiredAt}`;
  return `held by pid ${owner.pid} on ${owner.hostname}${since}`;
}

/**
 * Lock directories (`*.lock.d`, `*.lock`: see `lockDirectoryKind`) whose
 * holder is a dead process on this host, or that nobody refreshed for
 * `staleLockMs` (a holder frozen, or dead on another host). Regular `*.lock`
 * files are counted, not judged. Details name the mechanism this process's
 * `withLock` uses (`flock` or `proper-lockfile`).
 */
export const locksCheck: HealthCheck = {
  name: 'locks',
  async run(context): Promise<CheckOutcome> {
    const now = context.now().getTime();
    const { staleLockMs } = context.thresholds;
    const here = hostname();
    const issues: HealthIssue[] = [];
    const entries = await context.entries();
    const lockFiles = entries.filter(
      (entry) => entry.kind === 'file' && entry.name.endsWith('.lock'),
    ).length;
    const locks = entries.flatMap((entry) => {
      const kind = lockDirectoryKind(entry);
      return kind === undefined ? [] : [{ entry, kind }];
    });
    for (const { entry: lock, kind } of locks) {
      const owner = await readOwner(lock.path);
      const ageMs = Math.max(0, now - lock.mtimeMs);
      const label = KIND_LABEL[kind];
      if (owner !== undefined && owner.hostname === here && !processIsAlive(owner.pid)) {
        issues.push({
          code: 'lock_owner_dead',
          severity: 'warning',
          message: `${label} ${lock.path} is ${describe(owner)}, which is no longer running; the next locker takes it over, or remove the directory`,
          path: lock.path,
        });
      } else if (ageMs > staleLockMs) {
        issues.push({
          code: 'lock_stale',
          severity: 'warning',
          message: `${label} ${lock.path} (${describe(owner)}) was last refreshed ${Math.round(ageMs / 1000)} s ago (stale after ${Math.round(staleLockMs / 1000)} s): its holder is frozen or gone`,
          path: lock.path,
        });
      }
    }
    return { issues, details: { mechanism: lockMechanism(), locks: locks.length, lockFiles } };
  },
};
