export {
  Collection,
  type AdoptedChange,
  type BatchOp,
  type ChangeEvent,
  type ChangeSource,
  type CollectionFiles,
  type CollectionOptions,
  type Condition,
  type Entry,
  type FullTextDefinition,
  type IndexDefinition,
  type IndexReport,
  type OpenReport,
  type OperationMetric,
  type Page,
  type QuarantinedFile,
  type QueryOptions,
  type SearchItem,
  type SearchOptions,
  type TransactionView,
  type WriteMode,
  type WriteOptions,
  type WriteResult,
} from './collection.js';
export {
  COLLECTION_ERROR_CODES,
  COLLECTION_WARNING_CODES,
  type CollectionErrorCode,
} from './codes.js';
export {
  CollectionClosedError,
  CollectionError,
  ConflictError,
  NotFoundError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
export type { Layout, LayoutCapabilities, LayoutEntry, LayoutRead, LayoutState } from './layout.js';
export { perDocumentLayout, type PerDocumentOptions } from './layouts/per-document.js';
export {
  arrayFileLayout,
  jsonlFileLayout,
  mapFileLayout,
  type ArrayFileOptions,
  type JsonlFileOptions,
  type MapFileOptions,
} from './layouts/single-file.js';
export { mergePatch } from './merge-patch.js';
