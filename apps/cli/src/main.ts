import { CommanderError } from 'commander';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { CliError, reportError } from './output.js';
import { buildProgram } from './program.js';

/**
 * One run of `vellum` with the arguments after the command name: parses them,
 * runs the command, reports its error, and returns the exit code. Everything
 * it prints goes to `io`; it never exits the process, so a test can run it
 * in-process.
 */
export async function runCli(args: readonly string[], io: Io, version: string): Promise<number> {
  const json = args.includes('--json');
  // With --json, usage errors are reported as JSON instead.
  const program = buildProgram(version, io, (text) => {
    if (!json) io.err(text);
  });
  try {
    await program.parseAsync(args, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof CommanderError)) {
      const quiet = args.includes('--quiet') || args.includes('-q');
      return reportError({ json, quiet, io }, error);
    }
    // Help asked for is a success; help shown because a command is missing is a usage error.
    if (error.exitCode === 0) return EXIT.ok;
    if (json)
      reportError(
        { json, quiet: false, io },
        new CliError(
          'VELLUM_USAGE',
          // Commander's message for a missing command is "(outputHelp)".
          error.code === 'commander.help'
            ? 'a command is missing: run `vellum --help` to see them'
            : error.message.replace(/^error: /, ''),
        ),
      );
    return EXIT.usage;
  }
}
