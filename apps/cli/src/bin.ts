#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';
import { CliError, reportError } from './output.js';
import { buildProgram } from './program.js';

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };
const json = process.argv.includes('--json');
const quiet = process.argv.includes('--quiet') || process.argv.includes('-q');

// Vellum's warnings (a file kept aside, a recovery) in the CLI's own format, once; never in --json output.
process.removeAllListeners('warning');
process.on('warning', (warning: Error & { code?: string }) => {
  if (!json && !quiet)
    process.stderr.write(`warning ${warning.code ?? warning.name}: ${warning.message}\n`);
});
// A reader that goes away (`vellum tasks list | head -1`) is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
// With --json, usage errors are reported as JSON instead.
const program = buildProgram(version, (text) => {
  if (!json) process.stderr.write(text);
});

try {
  await program.parseAsync(process.argv);
  process.exitCode = EXIT.ok;
} catch (error) {
  if (error instanceof CommanderError) {
    // Help asked for is a success; help shown because a command is missing is a usage error.
    if (error.exitCode === 0) {
      process.exitCode = EXIT.ok;
    } else {
      if (json)
        reportError(
          { json, quiet: false },
          new CliError(
            'VELLUM_USAGE',
            // Commander's message for a missing command is "(outputHelp)".
            error.code === 'commander.help'
              ? 'a command is missing: run `vellum --help` to see them'
              : error.message.replace(/^error: /, ''),
          ),
        );
      process.exitCode = EXIT.usage;
    }
  } else {
    process.exitCode = reportError({ json, quiet }, error);
  }
}
