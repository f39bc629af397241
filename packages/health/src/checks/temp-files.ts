import { isTempName, processIsAlive } from '@vellum/atomic-io';
import type { CheckOutcome, HealthCheck, HealthIssue } from '../types.js';

// atomic-io's temp names: .<target name>.vellum-tmp-<pid>-<hex>
const TEMP_PID = /\.vellum-tmp-(\d+)-[0-9a-f]+$/;

/**
 * Temp files of atomic writes that never finished: their writer is dead, or
 * they are older than `tempMaxAgeMs` (the pid was reused). The same rule as
 * atomic-io's `cleanupTempFiles`, which removes them; this check only reports.
 */
export const tempFilesCheck: HealthCheck = {
  name: 'tempFiles',
  async run(context): Promise<CheckOutcome> {
    const now = context.now().getTime();
    const { tempMaxAgeMs } = context.thresholds;
    const issues: HealthIssue[] = [];
    let inFlight = 0;
    let orphanBytes = 0;
    for (const entry of await context.entries()) {
      if (entry.kind !== 'file' || !isTempName(entry.name)) continue;
      const pid = Number(TEMP_PID.exec(entry.name)?.[1] ?? Number.NaN);
      const alive = processIsAlive(pid);
      const ageMs = Math.max(0, now - entry.mtimeMs);
      if (alive && ageMs <= tempMaxAgeMs) {
        inFlight++;
        continue;
      }
      orphanBytes += entry.size;
      const why = alive
        ? `is ${Math.round(ageMs / 60_000)} min old (pid ${pid} was probably reused)`
        : `belongs to pid ${pid}, which is no longer running`;
      issues.push({
        code: 'temp_orphan',
        severity: 'warning',
        message: `temp file ${entry.path} of an interrupted write ${why}; it is safe to delete`,
        path: entry.path,
      });
    }
    return { issues, details: { orphans: issues.length, orphanBytes, inFlight } };
  },
};
