import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError, nodeFs, type FileHandleLike, type FsLayer } from '@vellum/atomic-io';
import { describe, expect, it } from 'vitest';
import {
  InvalidMetricError,
  MetricsRecorder,
  metricsFile,
  readMetricsSummary,
  type MetricInput,
} from '../src/index.js';
import { freshDir, onCleanup, openTasks } from './helpers.js';

/** An fs layer that counts fdatasyncs (one per durable append) and can fail the next ones. */
function countingFs(): FsLayer & { datasyncs: number; failNext: number } {
  const layer = {
    datasyncs: 0,
    failNext: 0,
    ...nodeFs,
    open: async (path: string, flags: string | number, mode?: number): Promise<FileHandleLike> => {
      const handle = await nodeFs.open(path, flags, mode);
      return {
        write: (buffer, offset, length, position) => handle.write(buffer, offset, length, position),
        sync: () => handle.sync(),
        datasync: async () => {
          if (layer.failNext > 0) {
            layer.failNext--;
            throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
          }
          layer.datasyncs++;
          await handle.datasync();
        },
        truncate: (length) => handle.truncate(length),
        stat: () => handle.stat(),
        close: () => handle.close(),
      };
    },
  };
  return layer;
}

function recorder(
  dir: string,
  options: Partial<ConstructorParameters<typeof MetricsRecorder>[0]> = {},
) {
  const created = new MetricsRecorder({ dir, ...options });
  onCleanup(() => created.close().catch(() => undefined));
  return created;
}

async function lines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const metric = (i: number, extra: Partial<MetricInput> = {}): MetricInput => ({
  timestamp: '2026-11-21T10:00:00.000Z',
  operation: 'query_tasks',
  duration_ms: i,
  status: 'success',
  result_count: i,
  ...extra,
});

describe('MetricsRecorder', () => {
  it('measures 1,000 collection operations with a handful of appends', async () => {
    const root = await freshDir();
    const dir = join(root, 'metrics');
    const fs = countingFs();
    const metrics = recorder(dir, { fs });
    const tasks = await openTasks(root, { onOperation: metrics.record });
    const writes = Array.from({ length: 200 }, (_, i) =>
      tasks.put({
        id: `TASK-001-${String(i).padStart(3, '0')}`,
        content: `t${i}`,
        status: 'pending',
      }),
    );
    await Promise.all(writes);
    for (let i = 0; i < 700; i++) await tasks.get(`TASK-001-${String(i % 200).padStart(3, '0')}`);
    for (let i = 0; i < 100; i++) await tasks.query({ where: { status: 'pending' }, limit: 5 });
    await metrics.close();
    expect(metrics.counts).toMatchObject({
      recorded: 1000,
      written: 1000,
      dropped: 0,
      buffered: 0,
    });
    // 1,000 records in batches of 512: two appends, each one fdatasync, not 1,000.
    expect(fs.datasyncs).toBeLessThanOrEqual(4);
    expect(metrics.counts.appends).toBe(fs.datasyncs);
    const files = await readdir(dir);
    const written = (
      await Promise.all(files.filter((f) => f.endsWith('.jsonl')).map((f) => lines(join(dir, f))))
    ).flat();
    expect(written).toHaveLength(1000);
    expect(written.filter((line) => line.operation === 'put')).toHaveLength(200);
    expect(written.find((line) => line.operation === 'query')).toMatchObject({
      status: 'success',
      result_count: 5,
    });
    const summary = metrics.summary();
    expect(summary.get?.count).toBe(700);
    expect(summary.put?.errors).toBe(0);
  });

  it('writes spec 000 lines: member order, success for ok, result_count only when given', async () => {
    const dir = await freshDir();
    const metrics = recorder(dir);
    metrics.record({
      timestamp: '2025-01-11T10:00:00Z',
      operation: 'persist_task',
      duration_ms: 12,
      status: 'ok',
    });
    metrics.record({
      timestamp: new Date('2025-01-11T10:00:01Z'),
      operation: 'query_tasks',
      duration_ms: 5.123456,
      status: 'success',
      result_count: 15,
    });
    await metrics.flush();
    expect(await readFile(metricsFile(dir, '2025-01-11'), 'utf8')).toBe(
      '{"timestamp":"2025-01-11T10:00:00Z","operation":"persist_task","duration_ms":12,"status":"success"}\n' +
        '{"timestamp":"2025-01-11T10:00:01.000Z","operation":"query_tasks","duration_ms":5.123,"status":"success","result_count":15}\n',
    );
  });

  it('only buffers on record; writes on flushEvery, after flushIntervalMs, and on flush()', async () => {
    const dir = await freshDir();
    const file = metricsFile(dir, '2026-11-21');
    const fs = countingFs();
    const metrics = recorder(dir, { fs, flushEvery: 10, flushIntervalMs: 60 });
    for (let i = 0; i < 9; i++) metrics.record(metric(i));
    expect(await lines(file)).toHaveLength(0);
    metrics.record(metric(9));
    await metrics.flush();
    expect(await lines(file)).toHaveLength(10);
    metrics.record(metric(10));
    expect(metrics.counts.buffered).toBe(1);
    // The timer flushes it on its own (polled: a loaded machine may be late).
    for (let i = 0; i < 250 && (await lines(file)).length < 11; i++) await sleep(20);
    expect(await lines(file)).toHaveLength(11);
    metrics.record(metric(11));
    await metrics.flush();
    expect((await lines(file)).map((line) => line.duration_ms)).toEqual(
      Array.from({ length: 12 }, (_, i) => i),
    );
    expect(fs.datasyncs).toBe(3);
  });

  it('files each record under the UTC day of its timestamp', async () => {
    const dir = await freshDir();
    const metrics = recorder(dir);
    metrics.record(metric(1, { timestamp: '2026-11-20T23:59:59.999Z' }));
    metrics.record(metric(2, { timestamp: '2026-11-21T00:00:00.000Z' }));
    metrics.record(metric(3, { timestamp: '2026-11-21T01:00:00+01:00' }));
    await metrics.close();
    // Each day file's kernel lock file (`<file>.lock`) stays beside it: not data.
    const files = (await readdir(dir)).filter((name) => !name.endsWith('.lock'));
    expect(files.sort()).toEqual(['2026-11-20.jsonl', '2026-11-21.jsonl']);
    expect((await lines(metricsFile(dir, '2026-11-20'))).map((l) => l.duration_ms)).toEqual([1]);
    expect((await lines(metricsFile(dir, '2026-11-21'))).map((l) => l.timestamp)).toEqual([
      '2026-11-21T00:00:00.000Z',
      '2026-11-21T00:00:00.000Z',
    ]);
  });

  it('keeps records whose flush failed and writes them, once, on the next one', async () => {
    const dir = await freshDir();
    const fs = countingFs();
    const errors: unknown[] = [];
    const metrics = recorder(dir, { fs, onError: (error) => errors.push(error) });
    for (let i = 0; i < 3; i++) metrics.record(metric(i));
    fs.failNext = 1;
    await expect(metrics.flush()).rejects.toMatchObject({ code: 'VELLUM_WRITE_FAILED' });
    expect(metrics.counts).toMatchObject({ buffered: 3, written: 0 });
    metrics.record(metric(3));
    await metrics.flush();
    expect((await lines(metricsFile(dir, '2026-11-21'))).map((l) => l.duration_ms)).toEqual([
      0, 1, 2, 3,
    ]);
    expect(errors).toEqual([]);
  });

  it('tells onError when a background flush fails, and retries it', async () => {
    const dir = await freshDir();
    const fs = countingFs();
    const errors: unknown[] = [];
    const metrics = recorder(dir, { fs, flushIntervalMs: 20, onError: (e) => errors.push(e) });
    fs.failNext = 1;
    metrics.record(metric(1));
    for (let i = 0; i < 100 && metrics.counts.written === 0; i++) await sleep(20);
    expect(errors).toHaveLength(1);
    expect(metrics.counts).toMatchObject({ written: 1, buffered: 0 });
  });

  it('tells onError once for a failed flush, however many records joined it', async () => {
    const dir = await freshDir();
    const fs = countingFs();
    const errors: unknown[] = [];
    const metrics = recorder(dir, { fs, flushEvery: 10, onError: (e) => errors.push(e) });
    fs.failNext = 1;
    for (let i = 0; i < 100; i++) metrics.record(metric(i));
    await expect(metrics.flush()).rejects.toMatchObject({ code: 'VELLUM_WRITE_FAILED' });
    expect(errors).toHaveLength(1);
    await metrics.flush();
    expect(metrics.counts).toMatchObject({ written: 100, appends: 1 });
  });

  it('never holds more than maxBuffered records, and counts what it drops', async () => {
    const dir = await freshDir();
    const metrics = recorder(dir, { maxBuffered: 5, flushEvery: 100 });
    for (let i = 0; i < 8; i++) metrics.record(metric(i));
    expect(metrics.counts).toMatchObject({ recorded: 5, dropped: 3, buffered: 5 });
    await metrics.close();
    metrics.record(metric(9));
    expect(metrics.counts).toMatchObject({ written: 5, dropped: 4 });
  });

  it('lets two recorders share a daily file without losing or mixing lines', async () => {
    const dir = await freshDir();
    const a = recorder(dir, { flushEvery: 7 });
    const b = recorder(dir, { flushEvery: 5 });
    for (let i = 0; i < 300; i++) {
      a.record(metric(i, { operation: 'a' }));
      b.record(metric(i, { operation: 'b' }));
      if (i % 50 === 0) await sleep(1);
    }
    await Promise.all([a.close(), b.close()]);
    const all = await lines(metricsFile(dir, '2026-11-21'));
    for (const name of ['a', 'b']) {
      expect(all.filter((l) => l.operation === name).map((l) => l.duration_ms)).toEqual(
        Array.from({ length: 300 }, (_, i) => i),
      );
    }
  });

  it('moves aside a torn line left by a killed writer before appending', async () => {
    const dir = await freshDir();
    const file = metricsFile(dir, '2026-11-21');
    const good = JSON.stringify(metric(0));
    await writeFile(file, `${good}\n{"timestamp":"2026-11-21T09:00:00Z","oper`);
    const metrics = recorder(dir);
    metrics.record(metric(1));
    await metrics.flush();
    // Another process dies mid-append while this recorder's file is open.
    await writeFile(file, `${await readFile(file, 'utf8')}{"timestamp":"2026-11-21`);
    metrics.record(metric(2));
    await metrics.close();
    expect((await lines(file)).map((line) => line.duration_ms)).toEqual([0, 1, 2]);
    const torn = (await readdir(dir)).filter((name) => name.includes('.torn-'));
    expect(torn).toHaveLength(2);
    expect((await readMetricsSummary(dir, { days: ['2026-11-21'] })).query_tasks?.count).toBe(3);
  });

  it('rejects what is not a metric, and bad options', () => {
    const metrics = recorder('/nonexistent/never-written');
    expect(() => metrics.record({ operation: '', duration_ms: 1, status: 'ok' })).toThrow(
      InvalidMetricError,
    );
    expect(() => metrics.record({ operation: 'x', duration_ms: -1, status: 'ok' })).toThrow(
      /duration_ms/,
    );
    expect(() =>
      metrics.record({ operation: 'x', duration_ms: 1, status: 'ok', timestamp: 'soon' }),
    ).toThrow(/timestamp/);
    expect(() => new MetricsRecorder({ dir: '', flushEvery: 0 })).toThrow(ValidationError);
  });
});

describe('readMetricsSummary', () => {
  it('summarizes the daily files as the recorder did in memory', async () => {
    const dir = await freshDir();
    const metrics = recorder(dir);
    metrics.record(metric(4, { operation: 'get' }));
    metrics.record(metric(6, { operation: 'get', status: 'error' }));
    metrics.record(metric(10, { operation: 'put', timestamp: '2026-11-20T12:00:00Z' }));
    await metrics.close();
    const summary = await readMetricsSummary(dir, {
      days: ['2026-11-20', '2026-11-21', '2026-11-22'],
    });
    expect(summary).toEqual(metrics.summary());
    expect(summary).toEqual({
      get: { count: 2, errors: 1, totalMs: 10, maxMs: 6 },
      put: { count: 1, errors: 0, totalMs: 10, maxMs: 10 },
    });
  });
});
