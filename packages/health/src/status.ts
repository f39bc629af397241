import type { HealthIssue, HealthStatus } from './types.js';

/** `failing` with any error, `degraded` with warnings only, else `ok`. */
export function statusOf(issues: readonly HealthIssue[]): HealthStatus {
  if (issues.some((issue) => issue.severity === 'error')) return 'failing';
  return issues.length > 0 ? 'degraded' : 'ok';
}
