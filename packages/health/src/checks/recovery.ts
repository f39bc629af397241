import type { CheckOutcome, HealthCheck, HealthIssue, HealthSource } from '../types.js';

/**
 * What opening a collection had to rebuild: its snapshot was lost (a double fault when the
 * files are damaged too). Reported by every check run on the collection as opened, since the
 * next close writes a new snapshot.
 */
interface Rebuilt {
  from: 'journal' | 'files';
  gap?: { fromSeq: number; toSeq: number } | undefined;
  restored: readonly string[];
}

function rebuiltOf(source: HealthSource): Rebuilt | undefined {
  return source.report?.rebuilt ?? undefined;
}

/**
 * Tells what opening each collection rebuilt without its snapshot: from the whole journal
 * (nothing lost, said as a warning so that the lost file is looked into), or over the
 * documents' files with a range of journal records gone (an error: a document whose file was
 * lost and whose last write lies in the gap could not be recovered; restore a backup).
 */
export const recoveryCheck: HealthCheck = {
  name: 'recovery',
  run(context): Promise<CheckOutcome> {
    if (context.sources.length === 0) return Promise.resolve({ skipped: 'no collections given' });
    const issues: HealthIssue[] = [];
    const rebuilt: Record<string, Rebuilt> = {};
    for (const source of context.sources) {
      const found = rebuiltOf(source);
      if (found === undefined) continue;
      rebuilt[source.name] = found;
      const restored =
        found.restored.length === 0
          ? ''
          : `; ${found.restored.length} document file(s) written again from the journal`;
      if (found.gap === undefined) {
        issues.push({
          code: 'snapshot_rebuilt',
          severity: 'warning',
          message: `${source.name}: its snapshot was missing; the state was rebuilt from the whole journal${restored}, nothing is lost: find out what removed the snapshot`,
          path: source.stateDir,
        });
      } else {
        issues.push({
          code: 'history_gap',
          severity: 'error',
          message: `${source.name}: its snapshot was missing and the journal no longer holds records ${found.gap.fromSeq} to ${found.gap.toSeq}; the documents were rebuilt from their files${restored}: a document whose file is gone and whose last write lies in that range could not be recovered, restore a backup (vellum backup list)`,
          path: source.journalDir,
        });
      }
    }
    return Promise.resolve({ issues, details: { rebuilt } });
  },
};
