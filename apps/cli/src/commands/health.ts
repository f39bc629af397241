import pc from 'picocolors';
import type { HealthIssue } from '@vellum/health';
import type { Context } from '../context.js';
import { CliError, emit } from '../output.js';
import { withTaskStore } from './open.js';

const SEVERITY: Record<string, (text: string) => string> = { error: pc.red, warning: pc.yellow };

/** The command that clears an issue, by issue code: the library's messages name no command. */
const FIX: Record<string, string> = { temp_orphan: 'vellum health --fix' };

/** An issue with the command that clears it, if there is one. */
type ReportedIssue = HealthIssue & { fix?: string };

/**
 * Runs every health check on the `.ap-state` store. Opening the store is
 * where damaged files are first met, so what opening did is reported too.
 * `--fix` first removes the temp files killed writers left anywhere in the
 * store (opening removes only those next to the files it writes).
 */
export async function health(
  context: Context,
  _args: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const { checkHealth } = await import('@vellum/health');
  // What opening finds is reported below as issues: no separate warnings for it.
  context.io.muteWarnings();
  const report = await withTaskStore(context, async (store) => {
    // Opening every collection first: what opening found is in `store.report` after.
    const collections = await store.collections();
    const removed = options.fix === true ? await removeTempFiles(store.root) : undefined;
    const opened: HealthIssue[] = [];
    for (const [name, r] of Object.entries(store.report)) {
      for (const q of r.quarantined) {
        opened.push({
          code: 'file_quarantined',
          severity: 'error',
          message: `${name}: ${q.reason}; kept at ${q.keptAt} and rewritten from the journal`,
          path: q.file,
        });
      }
      for (const a of r.adopted) {
        opened.push({
          code: 'external_edit',
          severity: 'warning',
          message: `${name}: ${a.id} was changed outside Vellum (${a.change}); adopted`,
          ...(a.file === undefined ? {} : { path: a.file }),
        });
      }
      for (const i of r.indexDrift) {
        opened.push({
          code: 'index_drift',
          severity: 'warning',
          message: `${name}: index ${i} had drifted from the documents; rewritten`,
        });
      }
    }
    const checked = await checkHealth({ root: store.root, collections, backupDir: store.root });
    const issues = [...opened, ...checked.issues].map((issue): ReportedIssue => {
      const fix = FIX[issue.code];
      return fix === undefined ? issue : { ...issue, fix };
    });
    const status = opened.some((i) => i.severity === 'error') ? 'failing' : checked.status;
    const report: HealthSummary = {
      status,
      checkedAt: checked.checkedAt,
      issues,
      checks: Object.fromEntries(Object.entries(checked.checks).map(([k, v]) => [k, v.status])),
      ...(removed === undefined ? {} : { removed }),
    };
    if (report.status === 'failing') {
      // Reported (and failed) while the store is open: a failing check records no metrics.
      show(context, report);
      throw new CliError(
        'VELLUM_UNHEALTHY',
        `${report.issues.filter((i) => i.severity === 'error').length} problem(s) found: see above; \`vellum backup restore\` brings back a verified state`,
        undefined,
        { reported: true },
      );
    }
    return report;
  });
  show(context, report);
}

interface HealthSummary {
  status: string;
  checkedAt: string;
  issues: ReportedIssue[];
  checks: Record<string, string>;
  /** With `--fix`: the temp files removed. */
  removed?: string[];
}

/** Store folders nest a few levels (`checkpoints/<id>/tasks/active/`): deeper than any of them. */
const STORE_DEPTH = 8;

/** Removes the temp files of dead writers (or older than an hour) anywhere in the store. */
async function removeTempFiles(root: string): Promise<string[]> {
  const { cleanupTempFiles } = await import('@vellum/atomic-io');
  // A person asked: a file older than an hour goes even when its pid is alive again (reused).
  return cleanupTempFiles(root, { depth: STORE_DEPTH, maxAgeMs: 3_600_000 });
}

function show(context: Context, report: HealthSummary): void {
  emit(context, report, () => {
    const head =
      report.status === 'ok'
        ? pc.green('healthy')
        : report.status === 'degraded'
          ? pc.yellow('degraded')
          : pc.red('FAILING');
    const lines = report.issues.map(
      (i) =>
        `  ${(SEVERITY[i.severity] ?? String)(i.severity.padEnd(7))} ${i.code}: ${i.message}${i.fix === undefined ? '' : pc.dim(` (run \`${i.fix}\`)`)}`,
    );
    const removed =
      report.removed === undefined
        ? []
        : [
            report.removed.length === 0
              ? 'removed no temp files'
              : `${pc.green('removed')} ${report.removed.length} temp file(s): ${report.removed.join(', ')}`,
          ];
    return [...removed, `${head} (${Object.keys(report.checks).length} checks)`, ...lines].join(
      '\n',
    );
  });
}
