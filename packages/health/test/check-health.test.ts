import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '@vellum/atomic-io';
import { describe, expect, it } from 'vitest';
import { checkHealth, defaultChecks, type HealthCheck, type HealthSource } from '../src/index.js';
import { cleanStore, freshDir, tree } from './helpers.js';

describe('checkHealth', () => {
  it('reports a clean store as ok, every check run, and leaves no file behind', async () => {
    const { root, tasks } = await cleanStore();
    await mkdir(join(root, 'backups/checkpoints/20261121_090000'), { recursive: true });
    await writeFile(join(root, 'backups/checkpoints/20261121_090000/manifest.json'), '{}\n');
    const before = await tree(root);
    const report = await checkHealth({
      root,
      collections: [tasks],
      backupDir: join(root, 'backups'),
      now: () => new Date('2026-11-21T10:00:00Z'),
    });
    expect(report.issues).toEqual([]);
    expect(report.status).toBe('ok');
    expect(report.checkedAt).toBe('2026-11-21T10:00:00.000Z');
    expect(Object.keys(report.checks)).toEqual(defaultChecks.map((check) => check.name));
    for (const check of Object.values(report.checks)) expect(check.status).toBe('ok');
    expect(report.checks.journal?.details).toMatchObject({
      journals: [{ dir: tasks.journalDir, transactions: 3, lastSeq: 3 }],
    });
    expect(await tree(root)).toEqual(before);
  });

  it('accepts a Collection as a HealthSource by shape', async () => {
    const { tasks } = await cleanStore();
    const source: HealthSource = tasks;
    expect(source.journalDir).toBe(tasks.journalDir);
  });

  it('skips the checks whose inputs are not given', async () => {
    const root = await freshDir();
    const report = await checkHealth({ root });
    expect(report.status).toBe('ok');
    expect(report.checks.indexes).toMatchObject({
      status: 'skipped',
      details: { reason: 'no collections given' },
    });
    expect(report.checks.journal?.status).toBe('skipped');
    expect(report.checks.backups?.status).toBe('skipped');
    expect(report.checks.writable?.status).toBe('ok');
  });

  it('reports a check that throws as check_failed and still runs the others', async () => {
    const root = await freshDir();
    const broken: HealthCheck = {
      name: 'broken',
      run: () => Promise.reject(Object.assign(new Error('boom'), { path: '/x' })),
    };
    const report = await checkHealth({ root, checks: [broken, ...defaultChecks] });
    expect(report.status).toBe('failing');
    expect(report.issues).toEqual([
      {
        code: 'check_failed',
        severity: 'error',
        message: 'the broken check could not run: boom',
        path: '/x',
      },
    ]);
    expect(report.checks.writable?.status).toBe('ok');
  });

  it('is degraded with warnings only and failing with any error', async () => {
    const root = await freshDir();
    const warn: HealthCheck = {
      name: 'warn',
      run: async () => ({
        issues: [{ code: 'x', severity: 'warning', message: 'w' }],
        details: {},
      }),
    };
    const fail: HealthCheck = {
      name: 'fail',
      run: async () => ({ issues: [{ code: 'y', severity: 'error', message: 'e' }], details: {} }),
    };
    expect((await checkHealth({ root, checks: [warn] })).status).toBe('degraded');
    const both = await checkHealth({ root, checks: [warn, fail] });
    expect(both.status).toBe('failing');
    expect(both.checks.warn?.status).toBe('degraded');
    expect(both.issues.map((issue) => issue.code)).toEqual(['x', 'y']);
  });

  it('validates its options, listing every problem', async () => {
    const error = await checkHealth({
      root: '',
      thresholds: { staleLockMs: -1, nope: 1 } as never,
      collections: [{ name: 'x' }] as never,
      checks: [defaultChecks[0], defaultChecks[0]] as never,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('VELLUM_VALIDATION');
    expect((error as ValidationError).category).toBe('usage');
    expect((error as ValidationError).issues.map((issue) => issue.path.join('.'))).toEqual([
      'root',
      'collections.0.verifyIndexes',
      'collections.0.files',
      'collections.0.stateDir',
      'collections.0.journalDir',
      'thresholds.staleLockMs',
      'thresholds.nope',
      'checks.1.name',
    ]);
  });
});
