import { VellumError } from '@vellum/atomic-io';

/** One thing wrong with the options a function was given. */
export interface OptionIssue {
  path: readonly (string | number)[];
  message: string;
}

/**
 * `checkHealth`, `buildHealthJson` or `MetricsRecorder` was given unusable
 * options (`VELLUM_HEALTH_OPTIONS`); `issues` lists every problem found.
 */
export class HealthOptionsError extends VellumError {
  readonly issues: readonly OptionIssue[];
  constructor(where: string, issues: readonly OptionIssue[]) {
    const list = issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    super('VELLUM_HEALTH_OPTIONS', `[@vellum/health] invalid ${where} options: ${list.join('; ')}`);
    this.issues = issues;
  }
}

/** `MetricsRecorder.record` was given something that is not an operation metric (`VELLUM_INVALID_METRIC`). */
export class InvalidMetricError extends VellumError {
  constructor(message: string) {
    super('VELLUM_INVALID_METRIC', `[@vellum/health] invalid metric: ${message}`);
  }
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
