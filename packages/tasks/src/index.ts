export {
  TaskStore,
  TASK_STORE_COLLECTIONS,
  TASK_STORE_MIGRATIONS,
  LEGACY_INDEXES,
  type IndexCheck,
  type LegacyIndexReport,
  type TaskStoreCollectionName,
  type TaskStoreDocuments,
  type TaskStoreOptions,
} from './store.js';
export type { MetricsMode } from './metrics.js';
export { AlreadyExistsError, StepNotFoundError } from './errors.js';
export {
  taskStoreCollections,
  type CollectionSetup,
  type SharedSetup,
  type TaskStoreCollections,
} from './collections.js';
export {
  Tasks,
  assertTaskFields,
  type BatchResult,
  type NewTask,
  type TaskFilter,
  type TaskPatch,
} from './tasks.js';
export {
  Integrations,
  type Execution,
  type ExecutionRecord,
  type NewIntegration,
} from './integrations.js';
export {
  DEFAULT_TRANSITIONS,
  HISTORY_IN_DOCUMENT,
  States,
  type StateChangeRecord,
  type TransitionInput,
  type TransitionTable,
} from './states.js';
export { Workflows, type NewWorkflow, type StepUpdate } from './workflows.js';
export { COUNTED_EVENTS, Sessions } from './sessions.js';
export {
  formatTaskId,
  nextSubtaskId,
  nextTaskId,
  normalizeStory,
  parseTaskId,
  type TaskIdParts,
} from './task-ids.js';
export { findCycle, isReady } from './relationships.js';
export { monthOf, stateId } from './layouts.js';
export {
  EntityState,
  EntityType,
  IntegrationPoint,
  Session,
  SessionCounters,
  Task,
  TASK_ID,
  TaskPriority,
  TaskStatus,
  WorkflowExecution,
  type CurrentState,
  type SessionCounter,
  type StateChange,
  type WorkflowStep,
} from './schemas.js';
export { ConflictError, NotFoundError, ValidationError } from '@vellum/collection';
