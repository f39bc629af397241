import type { HealthCheck } from '../types.js';
import { backupsCheck } from './backups.js';
import { diskCheck } from './disk.js';
import { indexesCheck } from './indexes.js';
import { journalCheck } from './journal.js';
import { locksCheck } from './locks.js';
import { recoveryCheck } from './recovery.js';
import { tempFilesCheck } from './temp-files.js';
import { writableCheck } from './writable.js';

export {
  backupsCheck,
  diskCheck,
  indexesCheck,
  journalCheck,
  locksCheck,
  recoveryCheck,
  tempFilesCheck,
  writableCheck,
};

/**
 * The built-in checks, in the order they run. The temp-file scan runs before
 * the journal check, whose `Journal.open` removes dead writers' temp files.
 */
export const defaultChecks: readonly HealthCheck[] = Object.freeze([
  writableCheck,
  diskCheck,
  locksCheck,
  tempFilesCheck,
  indexesCheck,
  journalCheck,
  recoveryCheck,
  backupsCheck,
]);
