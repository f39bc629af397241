export {
  ATOMIC_IO_ERROR_CODES,
  ATOMIC_IO_WARNING_CODES,
  ERROR_CATEGORIES,
  type AtomicIoErrorCode,
  type ErrorCategory,
  type ErrorCodeTable,
} from './codes.js';
export {
  AtomicIoError,
  CorruptFileError,
  DiskFullError,
  FileNotFoundError,
  DurabilityError,
  InvalidIdError,
  ItemLockedError,
  LockCompromisedError,
  LockTimeoutError,
  LockUsageError,
  SerializationError,
  TornTailError,
  ValidationError,
  VellumError,
  WriteError,
  errnoOf,
  type LockHolder,
  type TornTail,
  type ValidationIssue,
  type VellumErrorOptions,
} from './errors.js';
export { fsyncDirectory, nodeFs, type FileHandleLike, type FsLayer } from './fs-layer.js';
export { formatJson, formatJsonLine, type JsonFormatOptions } from './json-format.js';
export {
  ensureDir,
  writeFileAtomic,
  writeJsonAtomic,
  type LockGuard,
  type WriteFileOptions,
  type WriteJsonOptions,
} from './write-atomic.js';
export { readJson, type ReadJsonOptions, type RecoveryReport } from './read-json.js';
export { quarantineFile, quarantineName } from './quarantine.js';
export {
  Appender,
  appendRecords,
  type AppendResult,
  type AppenderOptions,
} from './append-records.js';
export {
  readRecords,
  scanRecords,
  type JsonlRecord,
  type ReadRecordsOptions,
  type ScanResult,
} from './read-records.js';
export { repairTail, truncateTail, type TailRepair } from './repair-tail.js';
export {
  LOCK_MECHANISM_ENV,
  lockMechanism,
  withLock,
  type HeldLock,
  type LockMechanism,
  type WithLockOptions,
} from './with-lock.js';
export { ItemLocks, type ItemLock, type ItemLocksOptions } from './item-locks.js';
export { cleanupTempFiles, isTempName, type CleanupOptions } from './temp-files.js';
export {
  lstatOrNull,
  openOrNull,
  readFileOrNull,
  readdirOrEmpty,
  statOrNull,
  unlinkIfExists,
} from './missing-files.js';
export { processIsAlive } from './process-alive.js';
export { assertSafeId, resolveInside, unsafeReason } from './safe-id.js';
export type { StandardSchemaV1 } from './standard-schema.js';
