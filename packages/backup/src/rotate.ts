import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupUsageError } from './errors.js';
import { durableRename, workName } from './files.js';
import { recoverInterruptedRestore } from './interrupted.js';
import { checkpointsDir, listBackups, type BackupLocation } from './location.js';
import { compareIds } from './manifest.js';

export interface RotatePolicy {
  /** Keep the newest backup of each of the last `daily` UTC days that have backups. */
  daily: number;
  /** Keep the newest backup of each of the last `weekly` ISO weeks (UTC, Monday first) that have backups. */
  weekly: number;
  /** Say what would be removed, remove nothing. */
  dryRun?: boolean | undefined;
}

export interface RotateResult {
  /** Ids kept, oldest first. */
  kept: string[];
  /** Ids removed (or, with `dryRun`, that would be), oldest first. */
  removed: string[];
  /** Backups whose manifest is unusable: neither counted nor removed, for a person to look at. */
  skipped: { id: string; problem: string }[];
}

/** `YYYY-Www` of the ISO week `date` falls in, in UTC. */
export function isoWeek(date: Date): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  // The Thursday of the same week decides the year the week belongs to.
  day.setUTCDate(day.getUTCDate() + 4 - (day.getUTCDay() || 7));
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/**
 * The ids a policy keeps: each rule walks the backups newest first and keeps
 * the first one of each new period until it has kept its count; the result is
 * the union of both rules (so a backup may count as a day and as a week).
 */
export function selectKept(
  backups: readonly { id: string; time: Date }[],
  policy: Pick<RotatePolicy, 'daily' | 'weekly'>,
): Set<string> {
  const newestFirst = [...backups].sort(
    (a, b) => b.time.getTime() - a.time.getTime() || compareIds(b.id, a.id),
  );
  const kept = new Set<string>();
  const rule = (count: number, period: (time: Date) => string): void => {
    const seen = new Set<string>();
    for (const backup of newestFirst) {
      if (seen.size >= count) break;
      const key = period(backup.time);
      if (seen.has(key)) continue;
      seen.add(key);
      kept.add(backup.id);
    }
  };
  rule(policy.daily, (time) => time.toISOString().slice(0, 10));
  rule(policy.weekly, isoWeek);
  return kept;
}

/**
 * Keeps `daily` daily and `weekly` weekly backups (spec 001) and removes the
 * others. A removal renames the backup to a work name first, so a crash
 * mid-way never leaves a half-deleted backup that still looks like one.
 * @throws {BackupUsageError} counts that are not whole numbers, or that would keep nothing.
 */
export async function rotateBackups(
  location: BackupLocation,
  policy: RotatePolicy,
): Promise<RotateResult> {
  for (const [name, count] of Object.entries({ daily: policy.daily, weekly: policy.weekly })) {
    if (!Number.isSafeInteger(count) || count < 0)
      throw new BackupUsageError(`${name} must be a whole number, not ${count}`);
  }
  if (policy.daily + policy.weekly === 0)
    throw new BackupUsageError('daily and weekly are both 0: that would remove every backup');
  await recoverInterruptedRestore(location);
  const all = await listBackups(location);
  const usable = all.flatMap((backup) =>
    backup.manifest === undefined
      ? []
      : [{ id: backup.id, time: new Date(backup.manifest.timestamp) }],
  );
  const kept = selectKept(usable, policy);
  const removed = usable.filter((backup) => !kept.has(backup.id)).map((backup) => backup.id);
  if (policy.dryRun !== true) {
    const dir = checkpointsDir(location);
    for (const id of removed) {
      const doomed = join(dir, workName('deleting'));
      await durableRename(join(dir, id), doomed);
      await rm(doomed, { recursive: true, force: true });
    }
  }
  return {
    kept: usable.filter((backup) => kept.has(backup.id)).map((backup) => backup.id),
    removed,
    skipped: all.flatMap((backup) =>
      backup.problem === undefined ? [] : [{ id: backup.id, problem: backup.problem }],
    ),
  };
}
