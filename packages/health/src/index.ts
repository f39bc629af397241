export { checkHealth } from './check-health.js';
export { defaultThresholds, type HealthOptions } from './options.js';
export {
  backupsCheck,
  defaultChecks,
  diskCheck,
  indexesCheck,
  journalCheck,
  locksCheck,
  recoveryCheck,
  tempFilesCheck,
  writableCheck,
} from './checks/index.js';
export type {
  BuiltInIssueCode,
  CheckContext,
  CheckOutcome,
  CheckReport,
  HealthCheck,
  HealthIssue,
  HealthReport,
  HealthSource,
  HealthStatus,
  HealthThresholds,
  Severity,
} from './types.js';
export type { FileEntry } from './walk.js';
export {
  MetricsRecorder,
  type MetricInput,
  type MetricsRecorderOptions,
  type RecorderCounts,
} from './metrics.js';
export {
  metricsFile,
  readMetricsSummary,
  utcDay,
  type MetricLine,
  type MetricsSummary,
  type OperationStats,
  type ReadMetricsSummaryOptions,
} from './metrics-summary.js';
export {
  buildHealthJson,
  defaultReadOperations,
  defaultWriteOperations,
  writeHealthJson,
  type HealthJson,
  type HealthJsonOptions,
} from './health-json.js';
export { HEALTH_ERROR_CODES, HEALTH_WARNING_CODES, type HealthErrorCode } from './codes.js';
export { HealthError, InvalidMetricError } from './errors.js';
