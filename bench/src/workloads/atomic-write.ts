import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeJsonAtomic } from '@vellum/atomic-io';
import writeFileAtomic from 'write-file-atomic';
import { opsPerSecond, opsPerSecondSync, sampleAll } from '../measure.js';
import { atLeast, rowsFrom, sizeOf, type Workload } from '../workload.js';

const RAW = 'raw sync temp+fsync+rename+dir fsync (ceiling)';
const RAW_ASYNC = 'raw fs/promises, same steps (reference)';
const OURS = '@vellum/atomic-io writeJsonAtomic';
const PEER = 'write-file-atomic 7.0.1';

/** A settings-like document of about 1 KB once indented; `revision` makes every write differ. */
function document(revision: number): object {
  return {
    revision,
    owner: 'bench@vellum.local',
    theme: { mode: 'dark', accent: '#4f46e5', fontSize: 14 },
    projects: Array.from({ length: 6 }, (_, i) => ({
      id: `project-${i}`,
      title: `Project number ${i}`,
      pinned: i % 3 === 0,
      tags: ['local-first', 'sync'],
    })),
  };
}

// The same bytes writeJsonAtomic produces, so every contender writes as much.
function serialize(revision: number): Buffer {
  return Buffer.from(`${JSON.stringify(document(revision), null, 2)}\n`, 'utf8');
}

function rawSync(file: string, count: number, warmup: number): number {
  return opsPerSecondSync(count, warmup, (seq) => {
    const bytes = serialize(seq);
    const temp = `${file}.tmp-${seq}`;
    const fd = openSync(temp, 'wx');
    try {
      if (writeSync(fd, bytes) !== bytes.length) throw new Error(`short write to ${temp}`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
    const dirFd = openSync(dirname(file), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  });
}

/** What Node's async fs alone costs, to tell it apart from the library's own overhead. */
async function rawAsync(file: string, count: number, warmup: number): Promise<number> {
  return opsPerSecond(count, warmup, async (seq) => {
    const bytes = serialize(seq);
    const temp = `${file}.tmp-${seq}`;
    const handle = await open(temp, 'wx');
    try {
      const { bytesWritten } = await handle.write(bytes);
      if (bytesWritten !== bytes.length) throw new Error(`short write to ${temp}`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    const dir = await open(dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  });
}

export const atomicWrite: Workload = {
  name: 'atomic-write',
  async run(options) {
    const { dir } = options;
    const count = sizeOf(options, 'ops', 1000, 100);
    const warmup = count / 10;
    const rounds = sizeOf(options, 'rounds', 5, 1);
    const samples = await sampleAll(
      [
        { name: RAW, sample: async (at) => rawSync(join(at, 'doc.json'), count, warmup) },
        { name: RAW_ASYNC, sample: (at) => rawAsync(join(at, 'doc.json'), count, warmup) },
        {
          name: OURS,
          sample: (at) =>
            opsPerSecond(count, warmup, (seq) =>
              writeJsonAtomic(join(at, 'doc.json'), document(seq)),
            ),
        },
        {
          name: PEER,
          sample: (at) =>
            opsPerSecond(count, warmup, (seq) =>
              writeFileAtomic(join(at, 'doc.json'), serialize(seq)),
            ),
        },
      ],
      rounds,
      dir,
    );
    return {
      workload: 'atomic-write',
      metric: 'ops/s',
      baseline: RAW,
      counts: { ops: count, warmup, rounds, fileBytes: serialize(warmup + count).length },
      rows: rowsFrom(samples, RAW, {
        [OURS]: { target: (ratio) => atLeast(ratio, 0.9, 'raw') },
      }),
    };
  },
};
