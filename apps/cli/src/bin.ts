#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { processIo } from './io.js';
import { runCli } from './main.js';

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };
const args = process.argv.slice(2);
let showWarnings = !args.includes('--json') && !args.includes('--quiet') && !args.includes('-q');

// Vellum's warnings (a file kept aside, a recovery) in the CLI's own format, once; never in --json output.
process.removeAllListeners('warning');
process.on('warning', (warning: Error & { code?: string }) => {
  if (showWarnings)
    process.stderr.write(`warning ${warning.code ?? warning.name}: ${warning.message}\n`);
});
// A reader that goes away (`vellum tasks list | head -1`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await runCli(
  args,
  processIo(() => (showWarnings = false)),
  version,
);
