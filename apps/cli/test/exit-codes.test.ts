// The CLI's error mapping: the exit code comes from the error's category alone (docs/errors.md).
// In process for every category; end to end for the codes that used to fall to exit 1.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LockCompromisedError, ValidationError, VellumError } from '@vellum/atomic-io';
import { ConflictError, NotFoundError } from '@vellum/collection';
import { CounterExhaustedError } from '@vellum/external-ids';
import { StoreTooNewError } from '@vellum/migrate';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_ERROR_CODES, RAISABLE_CODES, type CliErrorCode } from '../src/codes.js';
import { EXIT, EXIT_BY_CATEGORY, categoryOf, exitCodeFor } from '../src/exit-codes.js';
import { CliError, reportError } from '../src/output.js';
import {
  SUITE_TIMEOUT_MS,
  capturedIo,
  expectJsonError,
  expectOk,
  removeTempRoots,
  tempRoot,
  vellumIn,
} from './helpers.js';

/** `reportError` into buffers: the exit code and what was written. */
function report(error: unknown, json: boolean): { exit: number; stdout: string; stderr: string } {
  const { io, out, err } = capturedIo();
  const exit = reportError({ json, quiet: false, io }, error);
  return { exit, stdout: out.join(''), stderr: err.join('') };
}

describe('exit codes from categories', () => {
  it('maps each category to its documented exit code', () => {
    expect(EXIT_BY_CATEGORY).toEqual({
      usage: 2,
      'not-found': 3,
      conflict: 4,
      corruption: 5,
      failure: 1,
    });
  });

  it('a compromised lock is a conflict (exit 4)', () => {
    const error = new LockCompromisedError(
      '/s/tasks.lock',
      'taken over after 12 s without refresh',
    );
    expect(error.category).toBe('conflict');
    const { exit, stdout } = report(error, true);
    expect(exit).toBe(EXIT.conflict);
    expect(JSON.parse(stdout)).toMatchObject({ error: { code: 'VELLUM_LOCK_COMPROMISED' } });
  });

  it('a store too new is a failure (exit 1), with what to do', () => {
    const error = new StoreTooNewError('/s', '9', '3', '/s/version');
    expect(error.category).toBe('failure');
    const { exit, stderr } = report(error, false);
    expect(exit).toBe(EXIT.failure);
    expect(stderr).toMatch(/^error VELLUM_STORE_TOO_NEW: store \/s: at version 9/);
    expect(stderr).toContain('upgrade vellum');
  });

  it('an exhausted counter is a conflict (exit 4)', () => {
    const error = new CounterExhaustedError('/s/external_id_counters.json', 'github');
    expect(error.category).toBe('conflict');
    expect(report(error, true).exit).toBe(EXIT.conflict);
  });

  it('reads the category of errors from every layer', () => {
    expect(exitCodeFor(new ValidationError('patch of T-1', [{ path: [], message: 'x' }]))).toBe(2);
    expect(exitCodeFor(new NotFoundError('tasks', 'T-1'))).toBe(3);
    expect(exitCodeFor(new ConflictError('T-1', 2, 3))).toBe(4);
    expect(exitCodeFor(new CliError('VELLUM_INDEX_DRIFT', 'tasks: index drift'))).toBe(5);
  });

  it('takes the category, not the code: a code never decides the exit on its own', () => {
    // A third party's VellumError with a known code but its own category.
    expect(exitCodeFor(new VellumError('VELLUM_NOT_FOUND', 'conflict', 'x'))).toBe(4);
    // An error from another copy of a package still carries its category as a property.
    expect(exitCodeFor({ code: 'VELLUM_X', category: 'corruption', message: 'x' })).toBe(5);
  });

  it('reports anything else as VELLUM_FAILED, exit 1', () => {
    expect(categoryOf(new Error('boom'))).toBe('failure');
    expect(categoryOf({ code: 'VELLUM_CONFLICT' })).toBe('failure');
    expect(categoryOf({ category: 'nope' })).toBe('failure');
    expect(categoryOf(undefined)).toBe('failure');
    const { exit, stdout } = report(new Error('boom'), true);
    expect(exit).toBe(EXIT.failure);
    expect(JSON.parse(stdout)).toEqual({
      error: { code: 'VELLUM_FAILED', message: 'boom', details: null },
    });
  });

  it('gives a CliError the category of its code, for every code it may carry', () => {
    for (const [code, category] of Object.entries(RAISABLE_CODES)) {
      const error = new CliError(code as CliErrorCode, 'x');
      expect(error, code).toBeInstanceOf(VellumError);
      expect(error.category, code).toBe(category);
      expect(exitCodeFor(error), code).toBe(EXIT_BY_CATEGORY[category]);
    }
    expect(Object.keys(RAISABLE_CODES)).toEqual(
      expect.arrayContaining(Object.keys(CLI_ERROR_CODES)),
    );
  });
});

describe('exit codes end to end', { timeout: SUITE_TIMEOUT_MS }, () => {
  afterAll(removeTempRoots);

  it('a store written by newer code exits 1 with VELLUM_STORE_TOO_NEW', async () => {
    const root = await tempRoot('too-new');
    await mkdir(join(root, '.ap-state'), { recursive: true });
    await writeFile(join(root, '.ap-state', 'version'), '999\n');
    const body = expectJsonError(
      await vellumIn(root)('tasks', 'list', '--json'),
      EXIT.failure,
      'VELLUM_STORE_TOO_NEW',
    );
    expect(body.error.message).toContain('at version 999');
  });

  it('an exhausted id counter exits 4 with VELLUM_COUNTER_EXHAUSTED', async () => {
    const root = await tempRoot('counter');
    const v = vellumIn(root);
    expectOk(await v('tasks', 'add', 'First', '--story', '1', '--quiet'));
    await mkdir(join(root, '.claude', 'state'), { recursive: true });
    await writeFile(
      join(root, '.claude', 'state', 'external_id_counters.json'),
      JSON.stringify({
        version: '1.0',
        updated: '2026-01-01T00:00:00.000Z',
        counters: { github: Number.MAX_SAFE_INTEGER },
      }),
    );
    expectJsonError(
      await v('ids', 'map', 'TASK-001-001', 'github', '--json'),
      EXIT.conflict,
      'VELLUM_COUNTER_EXHAUSTED',
    );
  });
});
