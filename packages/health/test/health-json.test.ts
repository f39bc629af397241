import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '@vellum/atomic-io';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  buildHealthJson,
  checkHealth,
  writeHealthJson,
  type MetricsSummary,
} from '../src/index.js';
import { freshDir } from './helpers.js';

/** Spec 002's `.pm/health.json`, as another tool would read it. */
const Spec002Health = z.object({
  last_check: z.iso.datetime(),
  storage: z.object({
    total_size_mb: z.number(),
    file_count: z.number().int(),
    largest_file: z.string().nullable(),
    fragmentation: z.number().min(0).max(1),
  }),
  performance: z.object({
    avg_read_ms: z.number().nullable(),
    avg_write_ms: z.number().nullable(),
    cache_hit_rate: z.number().min(0).max(1).nullable(),
  }),
});

async function pmStore(): Promise<string> {
  const root = join(await freshDir(), '.pm');
  await mkdir(join(root, 'projects/p1'), { recursive: true });
  await mkdir(join(root, 'wal'), { recursive: true });
  await writeFile(join(root, 'config.json'), '{}\n'); // 3 bytes
  await writeFile(join(root, 'projects/p1/tickets.json'), 'x'.repeat(1000));
  await writeFile(join(root, 'projects/p1/events.jsonl'), 'e'.repeat(600_000));
  await writeFile(join(root, 'wal/20261121.wal'), 'w'.repeat(300_000));
  await writeFile(
    join(root, 'projects/p1/tickets.json.corrupt-20261121T100000Z-a1b2c3'),
    'c'.repeat(97),
  );
  return root;
}

describe('buildHealthJson', () => {
  it('measures sizes, count, largest file and fragmentation from the files', async () => {
    const root = await pmStore();
    const health = await buildHealthJson({ root, now: () => new Date('2026-11-21T10:00:00Z') });
    expect(Spec002Health.parse(health)).toEqual(health);
    expect(health).toEqual({
      last_check: '2026-11-21T10:00:00.000Z',
      storage: {
        total_size_mb: 0.86, // 901,100 bytes
        file_count: 5,
        largest_file: 'projects/p1/events.jsonl',
        fragmentation: 0.333, // (300,000 journal + 97 quarantined) / 901,100
      },
      performance: { avg_read_ms: null, avg_write_ms: null, cache_hit_rate: null },
    });
  });

  it('averages reads and writes from metrics and takes the hit rate from cache stats', async () => {
    const root = await freshDir();
    const metrics: MetricsSummary = {
      get: { count: 3, errors: 0, totalMs: 6, maxMs: 3 },
      query: { count: 1, errors: 0, totalMs: 14, maxMs: 14 },
      put: { count: 2, errors: 1, totalMs: 50, maxMs: 30 },
      compact: { count: 1, errors: 0, totalMs: 900, maxMs: 900 },
    };
    const health = await buildHealthJson({ root, metrics, cache: { hits: 85, misses: 15 } });
    expect(health.performance).toEqual({ avg_read_ms: 5, avg_write_ms: 25, cache_hit_rate: 0.85 });
    expect(health.storage).toEqual({
      total_size_mb: 0,
      file_count: 0,
      largest_file: null,
      fragmentation: 0,
    });
    const custom = await buildHealthJson({
      root,
      metrics,
      readOperations: ['query'],
      writeOperations: ['compact'],
      cache: { hits: 0, misses: 0 },
    });
    expect(custom.performance).toEqual({
      avg_read_ms: 14,
      avg_write_ms: 900,
      cache_hit_rate: null,
    });
  });

  it('adds the health status and issues when given a report', async () => {
    const root = await freshDir();
    const report = await checkHealth({
      root,
      thresholds: { minFreeBytes: Number.MAX_SAFE_INTEGER },
    });
    const health = await buildHealthJson({ root, health: report });
    expect(health.status).toBe('degraded');
    expect(health.issues?.map((issue) => issue.code)).toEqual(['disk_low']);
  });

  it('rejects bad options', async () => {
    await expect(buildHealthJson({ root: '' })).rejects.toBeInstanceOf(ValidationError);
    await expect(
      buildHealthJson({ root: '/tmp', cache: { hits: -1, misses: Number.NaN } }),
    ).rejects.toMatchObject({
      issues: [
        { path: ['cache', 'hits'], message: 'must be a finite number ≥ 0' },
        { path: ['cache', 'misses'], message: 'must be a finite number ≥ 0' },
      ],
    });
  });
});

describe('writeHealthJson', () => {
  it('replaces health.json atomically, leaving no temp file', async () => {
    const root = await pmStore();
    const path = join(root, 'health.json');
    await writeFile(path, '{"old": true}\n');
    const health = await buildHealthJson({ root, cache: { hits: 1, misses: 1 } });
    await writeHealthJson(path, health);
    expect(Spec002Health.parse(JSON.parse(await readFile(path, 'utf8')))).toEqual(health);
    expect((await readdir(root)).sort()).toEqual(['config.json', 'health.json', 'projects', 'wal']);
  });
});
