export {
  ExternalIdMapper,
  defaultStateDir,
  type CounterSnapshot,
  type ExternalIdMapperOptions,
  type ExternalIds,
  type MappingEntry,
  type StatePaths,
  type SyncMetadata,
  type SyncMetadataPatch,
} from './mapper.js';
export { EXTERNAL_IDS_ERROR_CODES, type ExternalIdsErrorCode } from './codes.js';
export {
  CounterExhaustedError,
  ExternalIdsError,
  MappingConflictError,
  NotMappedError,
  StateUnreadableError,
  UnknownTaskError,
  UnsupportedVersionError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
export { COUNTERS_FILE, FORMAT_VERSION, LOCK_NAME, MAPPING_FILE, SYNC_FILE } from './formats.js';
export type { StateRecovery } from './state-files.js';
export {
  DEFAULT_PROJECT_KEY,
  TOOLS,
  isTool,
  parseExternalId,
  type ExternalTool,
  type ParsedExternalId,
} from './tools.js';
export { RESET_TARGETS, type ResetTarget } from './validate.js';
