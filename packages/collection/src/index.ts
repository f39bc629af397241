export { Collection } from './collection.js';
export type {
  AdoptedChange,
  BatchOp,
  ChangeEvent,
  ChangeSource,
  CollectionFiles,
  CollectionOptions,
  Condition,
  Entry,
  FullTextDefinition,
  IndexDefinition,
  IndexReport,
  OpenReport,
  OperationMetric,
  Page,
  QuarantinedFile,
  QueryOptions,
  RebuiltState,
  SearchItem,
  SearchOptions,
  TransactionPlan,
  TransactionView,
  WriteMode,
  WriteOptions,
  WriteResult,
} from './types.js';
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
  StoreExistsError,
  StoreNotFoundError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
/** The one error of a unique index violation, from `@vellum/index`. */
export { UniqueConstraintError } from '@vellum/index';
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
export { project } from './project.js';
