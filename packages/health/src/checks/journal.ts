import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VellumError } from '@vellum/atomic-io';
import { Journal, JournalCorruptError, type JournalReport } from '@vellum/journal';
import { messageOf } from '../errors.js';
import type { CheckOutcome, HealthCheck, HealthIssue } from '../types.js';

interface JournalDetails {
  dir: string;
  segments?: number;
  transactions?: number;
  lastSeq?: number;
  missing?: true;
}

/**
 * Verifies each journal: a torn tail (a cut-off append, which the next
 * writer quarantines) and corruption (a bad record followed by good ones,
 * which needs a backup).
 */
export const journalCheck: HealthCheck = {
  name: 'journal',
  async run(context): Promise<CheckOutcome> {
    if (context.journalDirs.length === 0) return { skipped: 'no journals given' };
    const issues: HealthIssue[] = [];
    const journals: JournalDetails[] = [];
    for (const dir of context.journalDirs) {
      journals.push(await checkJournal(dir, context.thresholds.journalSettleMs, issues));
    }
    return { issues, details: { journals } };
  },
};

async function checkJournal(
  dir: string,
  settleMs: number,
  issues: HealthIssue[],
): Promise<JournalDetails> {
  // Journal.open would create a missing directory: a check must not.
  const exists = await stat(dir).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (!exists) return { dir, missing: true };
  let journal: Journal;
  try {
    journal = await Journal.open(dir);
  } catch (error) {
    // Opening reads the newest segment, and refuses a corrupt one.
    if (!(error instanceof JournalCorruptError)) throw error;
    issues.push(corruption(dir, error));
    return { dir };
  }
  try {
    let report = await journal.verify();
    if (report.tail !== undefined && report.error === undefined) {
      // A writer's append may be half on disk right now: only a tail that stays is torn.
      const first = report.tail;
      await sleep(settleMs);
      report = await journal.verify();
      const still = report.tail;
      if (still?.segment !== first.segment || still.offset !== first.offset) {
        report = { ...report, tail: undefined };
      }
    }
    if (report.error !== undefined) issues.push(corruption(dir, report.error));
    if (report.tail !== undefined) issues.push(tornTail(dir, report));
    return {
      dir,
      segments: report.segments.length,
      transactions: report.transactions,
      lastSeq: report.lastSeq,
    };
  } finally {
    await journal.close();
  }
}

function corruption(dir: string, error: Error): HealthIssue {
  const path = error instanceof VellumError && error.path !== undefined ? error.path : dir;
  return {
    code: 'journal_corrupt',
    severity: 'error',
    message: `journal in ${dir} is corrupt: ${messageOf(error)}; nothing past the damage is applied: restore the segment from a backup`,
    path,
  };
}

function tornTail(dir: string, report: JournalReport): HealthIssue {
  const tail = report.tail;
  const where = tail === undefined ? '' : ` at line ${tail.line} (${tail.reason})`;
  return {
    code: 'journal_torn_tail',
    severity: 'warning',
    message: `journal in ${dir} ends in an unfinished append${where}; it was never acknowledged, and the next writer moves it aside`,
    path: tail === undefined ? dir : join(dir, tail.segment),
  };
}
