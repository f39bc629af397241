import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { appendRecords } from '@vellum/atomic-io';
import { concurrentOpsPerSecond, opsPerSecond, opsPerSecondSync, sampleAll } from '../measure.js';
import { atLeast, rowsFrom, sizeOf, type Workload } from '../workload.js';

const LINE_BYTES = 200;
const CONCURRENCY = 16;

const RAW = 'raw writeSync + fdatasyncSync (ceiling)';
const RAW_ASYNC = 'raw FileHandle write + datasync (reference)';
const OURS = '@vellum/atomic-io appendRecords, sequential';
const OURS_CONCURRENT = `@vellum/atomic-io appendRecords, ${CONCURRENCY} concurrent`;

/** A record whose JSONL line, newline included, is exactly LINE_BYTES long. */
function record(seq: number): { seq: number; kind: string; pad: string } {
  const bare = { seq, kind: 'page-view', pad: '' };
  const used = JSON.stringify(bare).length + 1;
  return { ...bare, pad: 'x'.repeat(LINE_BYTES - used) };
}

function line(seq: number): Buffer {
  return Buffer.from(`${JSON.stringify(record(seq))}\n`, 'utf8');
}

function rawSync(file: string, count: number, warmup: number): number {
  const fd = openSync(file, 'a');
  try {
    return opsPerSecondSync(count, warmup, (seq) => {
      const bytes = line(seq);
      // A short write would make this ceiling a lie; fail instead of looping.
      if (writeSync(fd, bytes) !== bytes.length) throw new Error(`short write to ${file}`);
      fdatasyncSync(fd);
    });
  } finally {
    closeSync(fd);
  }
}

/** What Node's async fs alone costs, to tell it apart from the library's own overhead. */
async function rawAsync(file: string, count: number, warmup: number): Promise<number> {
  const handle = await open(file, 'a');
  try {
    return await opsPerSecond(count, warmup, async (seq) => {
      const bytes = line(seq);
      const { bytesWritten } = await handle.write(bytes);
      if (bytesWritten !== bytes.length) throw new Error(`short write to ${file}`);
      await handle.datasync();
    });
  } finally {
    await handle.close();
  }
}

export const append: Workload = {
  name: 'append',
  async run(options) {
    const { dir } = options;
    const count = sizeOf(options, 'ops', 2000, 200);
    const warmup = count / 10;
    const rounds = sizeOf(options, 'rounds', 5, 1);
    const samples = await sampleAll(
      [
        { name: RAW, sample: async (at) => rawSync(join(at, 'log.jsonl'), count, warmup) },
        { name: RAW_ASYNC, sample: (at) => rawAsync(join(at, 'log.jsonl'), count, warmup) },
        {
          name: OURS,
          sample: (at) =>
            opsPerSecond(count, warmup, (seq) =>
              appendRecords(join(at, 'log.jsonl'), [record(seq)]),
            ),
        },
        {
          name: OURS_CONCURRENT,
          sample: (at) =>
            concurrentOpsPerSecond(count, warmup, CONCURRENCY, (seq) =>
              appendRecords(join(at, 'log.jsonl'), [record(seq)]),
            ),
        },
      ],
      rounds,
      dir,
    );
    return {
      workload: 'append',
      metric: 'ops/s',
      baseline: RAW,
      counts: { ops: count, warmup, rounds, lineBytes: LINE_BYTES, concurrency: CONCURRENCY },
      rows: rowsFrom(samples, RAW, {
        [OURS]: { target: (ratio) => atLeast(ratio, 0.85, 'raw') },
        [OURS_CONCURRENT]: { target: (ratio) => atLeast(ratio, 3, 'raw') },
      }),
    };
  },
};
