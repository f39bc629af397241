// runCli in this process: the parse, the exit code of each kind of error, and
// where a run writes (only to its own io, so that runs can share a process).
import { CorruptFileError, ValidationError } from '@vellum/atomic-io';
import { ConflictError, NotFoundError } from '@vellum/collection';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../src/exit-codes.js';
import { CliError, reportError } from '../src/output.js';
import {
  capturedIo,
  expectJsonError,
  removeTempRoots,
  run,
  seeded,
  SUITE_TIMEOUT_MS,
  TEST_VERSION,
  type RunResult,
} from './helpers.js';

afterAll(removeTempRoots);

/** A captured io, and what it received. */

describe('reportError', () => {
  it("maps an error's category to its exit code class, anything else to 1", () => {
    const cases: [unknown, number, string][] = [
      [new CliError('VELLUM_USAGE', 'bad'), EXIT.usage, 'VELLUM_USAGE'],
      [
        new ValidationError('input', [{ path: ['x'], message: 'bad' }]),
        EXIT.usage,
        'VELLUM_VALIDATION',
      ],
      [new NotFoundError('tasks', 'TASK-001-001'), EXIT.notFound, 'VELLUM_NOT_FOUND'],
      [new ConflictError('TASK-001-001', 1, 2), EXIT.conflict, 'VELLUM_CONFLICT'],
      [
        new CorruptFileError('/s/a.json:1:1: torn', { path: '/s/a.json' }),
        EXIT.corruption,
        'VELLUM_CORRUPT_FILE',
      ],
      // a code without a category (not a VellumError) is no proof of a class: a failure
      [{ code: 'VELLUM_CONFLICT', message: 'taken' }, EXIT.failure, 'VELLUM_CONFLICT'],
      // a Node error (its code is no VELLUM_ code) and a thrown string: a failure
      [Object.assign(new Error('ENOTDIR: x'), { code: 'ENOTDIR' }), EXIT.failure, 'VELLUM_FAILED'],
      ['boom', EXIT.failure, 'VELLUM_FAILED'],
    ];
    for (const [error, exit, code] of cases) {
      const human = capturedIo();
      expect(reportError({ json: false, quiet: false, io: human.io }, error)).toBe(exit);
      expect(human.out).toEqual([]);
      expect(human.err.join('')).toMatch(new RegExp(`^error ${code}: \\S`));
      const json = capturedIo();
      expect(reportError({ json: true, quiet: false, io: json.io }, error)).toBe(exit);
      expect(json.err).toEqual([]);
      expect(JSON.parse(json.out.join(''))).toMatchObject({ error: { code } });
    }
  });

  it('a report the command already printed adds nothing to --json output', () => {
    const json = capturedIo();
    const error = new CliError('VELLUM_UNHEALTHY', 'see above', undefined, { reported: true });
    expect(reportError({ json: true, quiet: false, io: json.io }, error)).toBe(EXIT.corruption);
    expect(json.out).toEqual([]);
  });
});

describe.concurrent('runCli', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('usage errors: exit 2, commander’s message on stderr, or a VELLUM_USAGE document with --json', async () => {
    const human = await run(['tasks', 'lisst']);
    expect(human.code).toBe(EXIT.usage);
    expect(human.stdout).toBe('');
    expect(human.stderr).toMatch(/^error: unknown command 'lisst'/);
    const body = expectJsonError(await run(['tasks', 'lisst', '--json']), 2, 'VELLUM_USAGE');
    expect(body.error.message).toMatch(/^unknown command 'lisst'/);
  });

  it('help and the version are successes, written to its stdout', async () => {
    const help = await run(['tasks', '--help']);
    expect([help.code, help.stderr]).toEqual([EXIT.ok, '']);
    expect(help.stdout).toMatch(/^Usage: vellum tasks /);
    expect(await run(['--version'])).toMatchObject({ code: 0, stdout: `${TEST_VERSION}\n` });
  });

  it('runs that overlap keep their output apart', async () => {
    const { root } = await seeded('main-overlap');
    const ids = Array.from({ length: 8 }, (_, i) => `TASK-001-00${(i % 2) + 1}`);
    const runs = await Promise.all(
      ids.map((id) => run(['--root', root, 'tasks', 'get', id, '--fields', 'id', '--json'])),
    );
    expect(runs.map((r) => JSON.parse(r.stdout) as unknown)).toEqual(ids.map((id) => ({ id })));
  });
});

// Alone (not concurrent with other tests): it watches the process's streams.
describe('runCli and the process', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('a run writes to its io only, never to the process’s streams or exit code', async () => {
    const { root } = await seeded('main-io');
    const stdout = vi.spyOn(process.stdout, 'write');
    const stderr = vi.spyOn(process.stderr, 'write');
    const exitCode = process.exitCode;
    try {
      const runs: RunResult[] = await Promise.all([
        run(['--root', root, 'tasks', 'list']),
        run(['--root', root, 'tasks', 'get', 'TASK-404-404']),
        run(['--root', root, 'health', '--json']),
        run(['--help']),
      ]);
      expect(runs.map((r) => r.code)).toEqual([0, 3, 0, 0]);
      expect(runs.every((r) => r.stdout !== '' || r.stderr !== '')).toBe(true);
      expect(stdout).not.toHaveBeenCalled();
      expect(stderr).not.toHaveBeenCalled();
      expect(process.exitCode).toBe(exitCode);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});
