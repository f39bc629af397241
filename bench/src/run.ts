import { rm } from 'node:fs/promises';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.js';
import { benchRoot, freshDir, scratchRoot } from './paths.js';
import { writeResults } from './results.js';
import { renderReport } from './table.js';
import type { Workload } from './workload.js';
import { append } from './workloads/append.js';
import { atomicWrite } from './workloads/atomic-write.js';
import { backup } from './workloads/backup.js';
import { bulkImport } from './workloads/bulk-import.js';
import { cacheHit } from './workloads/cache-hit.js';
import { cliStart } from './workloads/cli-start.js';
import { coldOpen } from './workloads/cold-open.js';
import { concurrentInserts } from './workloads/concurrent-inserts.js';
import { inserts } from './workloads/inserts.js';
import { lockedIncrements } from './workloads/locked-increments.js';
import { patchRmw } from './workloads/patch-rmw.js';
import { queryStory } from './workloads/query-story.js';

const workloads: readonly Workload[] = [
  append,
  atomicWrite,
  lockedIncrements,
  inserts,
  concurrentInserts,
  bulkImport,
  coldOpen,
  queryStory,
  patchRmw,
  cliStart,
  backup,
  cacheHit,
];

const { values, positionals } = parseArgs({
  // `pnpm bench -- --quick` passes the `--` on; it would turn `--quick` into a filter word.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    quick: { type: 'boolean', default: false },
    // `--set records=20000`: a size for every selected workload that has one by that name.
    set: { type: 'string', multiple: true, default: [] },
  },
  allowPositionals: true,
});
const quick = values.quick;
const sizes = parseSizes(values.set);
// A filter word picks every workload whose name contains it: `atomic` runs atomic-write.
const selected =
  positionals.length === 0
    ? workloads
    : workloads.filter(({ name }) => positionals.some((word) => name.includes(word)));

if (selected.length === 0) {
  console.error(
    `no workload matches ${positionals.join(' ')}; known: ${workloads.map(({ name }) => name).join(', ')}`,
  );
  process.exitCode = 2;
} else {
  const runDir = await freshDir(scratchRoot, 'run');
  const machine = describeMachine();
  console.log(
    `Node ${machine.node}, ${machine.cores} cores (${machine.cpu}), load ${machine.loadAverage1m}, ` +
      `files in ${relative(benchRoot, runDir)}` +
      (quick ? ' (--quick: small counts, one round; not for quoting)' : ''),
  );
  try {
    for (const workload of selected) {
      const dir = await freshDir(runDir, workload.name);
      const report = await workload.run({ quick, dir, sizes });
      const file = await writeResults(report, quick);
      console.log(`\n${renderReport(report)}\n\nwritten to ${relative(benchRoot, file)}`);
      // A lost update is a failed run, whatever the speed.
      if (report.rows.some((row) => row.check?.ok === false)) process.exitCode = 1;
    }
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
}

function parseSizes(settings: readonly string[]): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const setting of settings) {
    const [name, value] = setting.split('=');
    const parsed = Number(value);
    if (name === undefined || name === '' || !Number.isInteger(parsed) || parsed <= 0) {
      throw new Error(`--set ${setting}: expected name=<positive integer>, e.g. records=20000`);
    }
    sizes[name] = parsed;
  }
  return sizes;
}
