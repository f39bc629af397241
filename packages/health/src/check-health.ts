import { errnoOf } from '@vellum/atomic-io';
import { normalizeOptions, type HealthOptions, type NormalizedOptions } from './options.js';
import { messageOf } from './errors.js';
import { statusOf } from './status.js';
import type {
  CheckContext,
  CheckOutcome,
  CheckReport,
  HealthIssue,
  HealthReport,
} from './types.js';
import { walk, type FileEntry } from './walk.js';

function contextOf(options: NormalizedOptions): CheckContext {
  let scanned: Promise<readonly FileEntry[]> | undefined;
  return {
    root: options.root,
    dirs: options.dirs,
    sources: options.sources,
    journalDirs: options.journalDirs,
    backupDir: options.backupDir,
    backupTimeZone: options.backupTimeZone,
    thresholds: options.thresholds,
    now: options.now,
    entries: () => {
      scanned ??= walk(options.dirs, options.thresholds.maxScanDepth).then(
        (result) => result.entries,
      );
      return scanned;
    },
  };
}

function failed(name: string, error: unknown): CheckOutcome {
  const path = (error as { path?: unknown } | null)?.path;
  const issue: HealthIssue = {
    code: 'check_failed',
    severity: 'error',
    message: `the ${name} check could not run: ${messageOf(error)}${errnoOf(error) === undefined ? '' : ` (${errnoOf(error)})`}`,
  };
  if (typeof path === 'string') issue.path = path;
  return { issues: [issue], details: {} };
}

/**
 * Checks a store: its directories are writable, its disk has room, no lock
 * or temp file was left by a dead process, its indexes match the documents,
 * its journals are intact, and it was backed up recently. Each check runs in
 * turn; one that throws is reported as `check_failed` and the others still run.
 * Never throws for a fault it finds.
 *
 * @throws {ValidationError} the options are unusable.
 */
export async function checkHealth(options: HealthOptions): Promise<HealthReport> {
  const normalized = normalizeOptions(options);
  const context = contextOf(normalized);
  const checkedAt = normalized.now().toISOString();
  const issues: HealthIssue[] = [];
  const checks: Record<string, CheckReport> = {};
  for (const check of normalized.checks) {
    const started = performance.now();
    let outcome: CheckOutcome;
    try {
      outcome = await check.run(context);
    } catch (error) {
      outcome = failed(check.name, error);
    }
    const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    if ('skipped' in outcome) {
      checks[check.name] = {
        status: 'skipped',
        issues: [],
        durationMs,
        details: { reason: outcome.skipped },
      };
      continue;
    }
    issues.push(...outcome.issues);
    checks[check.name] = {
      status: statusOf(outcome.issues),
      issues: outcome.issues,
      durationMs,
      details: outcome.details,
    };
  }
  return { status: statusOf(issues), checkedAt, issues, checks };
}
