import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readdirOrEmpty } from '@vellum/atomic-io';
import type { CheckOutcome, HealthCheck, HealthIssue } from '../types.js';

// checkpoints/YYYYMMDD_HHMMSS, as spec 000's create_checkpoint names them.
const CHECKPOINT = /^(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})$/;

/** The time a checkpoint directory's name stands for, or `undefined` for any other name. */
export function checkpointTime(name: string, zone: 'utc' | 'local'): Date | undefined {
  const match = CHECKPOINT.exec(name);
  if (match === null) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const date =
    zone === 'utc'
      ? new Date(Date.UTC(year, month - 1, day, hour, minute, second))
      : new Date(year, month - 1, day, hour, minute, second);
  // Date rolls 20261340_000000 over into 2027: such a name is not a checkpoint.
  const read =
    zone === 'utc'
      ? [
          date.getUTCFullYear(),
          date.getUTCMonth() + 1,
          date.getUTCDate(),
          date.getUTCHours(),
          date.getUTCMinutes(),
          date.getUTCSeconds(),
        ]
      : [
          date.getFullYear(),
          date.getMonth() + 1,
          date.getDate(),
          date.getHours(),
          date.getMinutes(),
          date.getSeconds(),
        ];
  const asNamed = [year, month, day, hour, minute, second];
  return read.every((value, i) => value === asNamed[i]) ? date : undefined;
}

interface Checkpoint {
  name: string;
  path: string;
  at: Date;
  complete: boolean;
}

async function listCheckpoints(dir: string, zone: 'utc' | 'local'): Promise<Checkpoint[]> {
  const found: Checkpoint[] = [];
  for (const entry of await readdirOrEmpty(dir, { withFileTypes: true })) {
    const at = entry.isDirectory() ? checkpointTime(entry.name, zone) : undefined;
    if (at === undefined) continue;
    const path = join(dir, entry.name);
    // The manifest is written last: without it the checkpoint is unfinished.
    const complete = await stat(join(path, 'manifest.json')).then(
      (info) => info.isFile(),
      () => false,
    );
    found.push({ name: entry.name, path, at, complete });
  }
  return found.sort((a, b) => a.at.getTime() - b.at.getTime());
}

function hours(ms: number): string {
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/**
 * Age of the newest complete checkpoint (`<backupDir>/checkpoints/YYYYMMDD_HHMMSS/`
 * with a `manifest.json`), judged by its name; and checkpoints left unfinished.
 * Reads directory names and the manifest's presence only.
 */
export const backupsCheck: HealthCheck = {
  name: 'backups',
  async run(context): Promise<CheckOutcome> {
    const backupDir = context.backupDir;
    if (backupDir === undefined) return { skipped: 'no backup directory given' };
    const dir = join(backupDir, 'checkpoints');
    const now = context.now().getTime();
    const { maxBackupAgeMs, backupGraceMs } = context.thresholds;
    const checkpoints = await listCheckpoints(dir, context.backupTimeZone);
    const issues: HealthIssue[] = [];
    const newest = checkpoints.filter((checkpoint) => checkpoint.complete).at(-1);
    if (newest === undefined) {
      issues.push({
        code: 'backup_missing',
        severity: 'warning',
        message: `no complete backup in ${dir} (a checkpoint directory with a manifest.json)`,
        path: dir,
      });
    } else if (now - newest.at.getTime() > maxBackupAgeMs) {
      issues.push({
        code: 'backup_stale',
        severity: 'warning',
        message: `the newest backup, ${newest.name}, is ${hours(now - newest.at.getTime())} old (limit ${hours(maxBackupAgeMs)})`,
        path: newest.path,
      });
    }
    for (const checkpoint of checkpoints) {
      if (checkpoint.complete || now - checkpoint.at.getTime() <= backupGraceMs) continue;
      issues.push({
        code: 'backup_incomplete',
        severity: 'warning',
        message: `checkpoint ${checkpoint.name} has no manifest.json after ${hours(now - checkpoint.at.getTime())}: a backup that never finished`,
        path: checkpoint.path,
      });
    }
    return {
      issues,
      details: {
        checkpoints: checkpoints.length,
        newest: newest?.name ?? null,
        ageMs: newest === undefined ? null : Math.max(0, now - newest.at.getTime()),
      },
    };
  },
};
