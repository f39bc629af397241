import { join } from 'node:path';
import { ensureDir, writeJsonAtomic } from '@vellum/atomic-io';
import { describeMachine } from './machine.js';
import { resultsDir } from './paths.js';
import type { WorkloadReport } from './workload.js';

/**
 * Writes `results/<workload>.json` for tools that track figures over time.
 * @returns the file written.
 */
export async function writeResults(report: WorkloadReport, quick: boolean): Promise<string> {
  const file = join(resultsDir, `${report.workload}.json`);
  const withTarget = report.rows.filter((row) => row.target !== null);
  await ensureDir(resultsDir);
  await writeJsonAtomic(file, {
    workload: report.workload,
    date: new Date().toISOString(),
    ...describeMachine(),
    quick,
    counts: report.counts,
    metric: report.metric,
    baseline: report.baseline,
    results: report.rows,
    ratios: Object.fromEntries(report.rows.map((row) => [row.contender, row.ratio])),
    targets: withTarget.map((row) => ({ contender: row.contender, ...row.target })),
    allTargetsMet: withTarget.every((row) => row.target?.met === true),
  });
  return file;
}
