import { errnoOf } from './errors.js';

/**
 * Whether the process `pid` may still be running on this host.
 *
 * `false` only when the system says there is no such process (`ESRCH`): that
 * is the one answer that lets a caller remove what the process left (a temp
 * file, a lock, a work directory). `EPERM` means it exists under another user;
 * any other error, and a pid that does not name one process (0 and negative
 * numbers signal process groups), is unknown and answers `true`: mistaking a
 * live writer for a dead one destroys its work, the opposite only delays a
 * clean-up until an age limit applies.
 */
export function processIsAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoOf(error) !== 'ESRCH';
  }
}
