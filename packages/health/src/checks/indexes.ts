import { CorruptFileError, readJson } from '@vellum/atomic-io';
import type { CheckOutcome, HealthCheck, HealthIssue, HealthSource } from '../types.js';

/**
 * Index drift in memory (`verifyIndexes`: documents missing from an index,
 * or entries for documents that no longer match), and persisted index files
 * that other tools read but that no longer parse as a JSON object.
 */
export const indexesCheck: HealthCheck = {
  name: 'indexes',
  async run(context): Promise<CheckOutcome> {
    if (context.sources.length === 0) return { skipped: 'no collections given' };
    const issues: HealthIssue[] = [];
    const details: Record<string, unknown> = {};
    for (const source of context.sources) {
      details[source.name] = await checkSource(source, issues);
    }
    return { issues, details };
  },
};

async function checkSource(
  source: HealthSource,
  issues: HealthIssue[],
): Promise<{ indexes: number; files: number }> {
  const drift = await source.verifyIndexes();
  for (const [name, report] of Object.entries(drift)) {
    if (report.ok) continue;
    if (report.missing > 0 || report.extra > 0) {
      issues.push({
        code: 'index_drift',
        severity: 'error',
        message: `${source.name}: index "${name}" disagrees with the documents (${report.missing} missing, ${report.extra} extra entries); queries on it return wrong results until the collection is reopened`,
      });
    } else if (report.file === 'drift' || report.file === 'missing') {
      issues.push({
        code: 'index_drift',
        severity: 'error',
        message: `${source.name}: the persisted file of index "${name}" ${report.file === 'drift' ? 'disagrees with' : 'is missing for'} the documents; tools reading it see wrong ids until \`vellum index rebuild\``,
      });
    }
  }
  const { indexes: files } = await source.files();
  for (const file of files) {
    let value: unknown;
    try {
      value = await readJson(file);
    } catch (error) {
      if (!(error instanceof CorruptFileError)) throw error;
      issues.push({
        code: 'index_file_corrupt',
        severity: 'warning',
        message: `${source.name}: persisted index is unreadable: ${error.message}`,
        path: file,
      });
      continue;
    }
    if (value !== null && (typeof value !== 'object' || Array.isArray(value))) {
      issues.push({
        code: 'index_file_corrupt',
        severity: 'warning',
        message: `${source.name}: persisted index ${file} is not a JSON object`,
        path: file,
      });
    }
  }
  return { indexes: Object.keys(drift).length, files: files.length };
}
