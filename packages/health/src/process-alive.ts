import { errnoOf } from '@vellum/atomic-io';

/**
 * Whether a process with this pid runs on this host. Unknown answers count as
 * alive: a health check must never call a live writer's file an orphan.
 */
export function isProcessAlive(pid: number): boolean {
  // kill(0) and kill(-n) signal process groups: only a positive pid names one process.
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) !== 'ESRCH';
  }
}
