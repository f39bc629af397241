import { randomBytes } from 'node:crypto';
import { stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoOf, writeFileAtomic } from '@vellum/atomic-io';
import { messageOf } from '../errors.js';
import type { CheckOutcome, HealthCheck, HealthIssue } from '../types.js';

/** `.vellum-health-probe-<pid>-<hex>`: a probe left by a crash is recognizable and safe to delete. */
export function probeName(): string {
  return `.vellum-health-probe-${process.pid}-${randomBytes(6).toString('hex')}`;
}

async function probe(dir: string): Promise<HealthIssue | undefined> {
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    return {
      code: 'dir_missing',
      severity: 'error',
      message: `${dir} cannot be reached (${errnoOf(error) ?? messageOf(error)})`,
      path: dir,
    };
  }
  if (!info.isDirectory()) {
    return {
      code: 'dir_missing',
      severity: 'error',
      message: `${dir} is not a directory`,
      path: dir,
    };
  }
  const file = join(dir, probeName());
  try {
    // The real write path (temp file, fsync, rename, directory fsync): `access(W_OK)`
    // (spec 000's `-w`) knows nothing of a full disk or a failing fsync.
    await writeFileAtomic(file, `${new Date().toISOString()}\n`);
  } catch (error) {
    await unlink(file).catch(() => undefined);
    return {
      code: 'dir_not_writable',
      severity: 'error',
      message: `${dir} is not writable: ${messageOf(error)}`,
      path: dir,
    };
  }
  await unlink(file);
  return undefined;
}

/** Writes and removes a probe file in the root and every collection directory. */
export const writableCheck: HealthCheck = {
  name: 'writable',
  async run(context): Promise<CheckOutcome> {
    // Each probe waits for two fsyncs: side by side, the check costs one probe's time.
    const found = await Promise.all(context.dirs.map((dir) => probe(dir)));
    const issues = found.filter((issue): issue is HealthIssue => issue !== undefined);
    return { issues, details: { dirs: context.dirs } };
  },
};
