import { stat, statfs } from 'node:fs/promises';
import type { CheckOutcome, HealthCheck, HealthIssue } from '../types.js';

const MIB = 1024 * 1024;

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

/** Free space (for an unprivileged user: `bavail`, as `df` shows) on each device the store uses. */
export const diskCheck: HealthCheck = {
  name: 'disk',
  async run(context): Promise<CheckOutcome> {
    const { minFreeBytes, criticalFreeBytes } = context.thresholds;
    const issues: HealthIssue[] = [];
    const devices: { dir: string; freeBytes: number; totalBytes: number }[] = [];
    const seen = new Set<number>();
    const dirs =
      context.backupDir === undefined ? context.dirs : [...context.dirs, context.backupDir];
    for (const dir of dirs) {
      // One report per file system: the root and its state folders usually share one.
      const device = await stat(dir).then(
        (info) => info.dev,
        () => undefined,
      );
      if (device === undefined || seen.has(device)) continue;
      seen.add(device);
      const fs = await statfs(dir);
      const freeBytes = fs.bavail * fs.bsize;
      devices.push({ dir, freeBytes, totalBytes: fs.blocks * fs.bsize });
      if (freeBytes < criticalFreeBytes) {
        issues.push({
          code: 'disk_critical',
          severity: 'error',
          message: `only ${mib(freeBytes)} free on the file system of ${dir} (critical below ${mib(criticalFreeBytes)}): writes will fail`,
          path: dir,
        });
      } else if (freeBytes < minFreeBytes) {
        issues.push({
          code: 'disk_low',
          severity: 'warning',
          message: `only ${mib(freeBytes)} free on the file system of ${dir} (below ${mib(minFreeBytes)})`,
          path: dir,
        });
      }
    }
    return { issues, details: { devices } };
  },
};
