import { open } from 'node:fs/promises';
import { freshDir } from './paths.js';

export interface Contender {
  readonly name: string;
  /** Takes one measurement with its files in `dir`, a new empty directory. */
  sample(dir: string): Promise<number>;
}

/**
 * Measures every contender `rounds` times, interleaved (A B C, A B C, ...), so
 * that a drift in the disk's speed during the run hits all of them alike.
 * @returns each contender's samples, in round order.
 */
export async function sampleAll(
  contenders: readonly Contender[],
  rounds: number,
  parent: string,
): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(contenders.map(({ name }) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const contender of contenders) {
      const dir = await freshDir(parent, slug(contender.name));
      samples.get(contender.name)?.push(await contender.sample(dir));
    }
  }
  return samples;
}

function slug(name: string): string {
  return name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '');
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle];
  if (upper === undefined) throw new RangeError('median of no values');
  return sorted.length % 2 === 1 ? upper : (upper + (sorted[middle - 1] ?? upper)) / 2;
}

/** Sequence numbers `0..warmup-1` warm up untimed; `warmup..warmup+count-1` are timed. */
export function opsPerSecondSync(count: number, warmup: number, op: (seq: number) => void): number {
  for (let seq = 0; seq < warmup; seq++) op(seq);
  const start = performance.now();
  for (let seq = warmup; seq < warmup + count; seq++) op(seq);
  return perSecond(count, start);
}

export async function opsPerSecond(
  count: number,
  warmup: number,
  op: (seq: number) => Promise<unknown>,
): Promise<number> {
  return concurrentOpsPerSecond(count, warmup, 1, op);
}

/** `concurrency` loops, each awaiting `op` before its next call, share `count` operations. */
export async function concurrentOpsPerSecond(
  count: number,
  warmup: number,
  concurrency: number,
  op: (seq: number) => Promise<unknown>,
): Promise<number> {
  await inLoops(0, warmup, concurrency, op);
  const start = performance.now();
  await inLoops(warmup, warmup + count, concurrency, op);
  return perSecond(count, start);
}

async function inLoops(
  first: number,
  end: number,
  concurrency: number,
  op: (seq: number) => Promise<unknown>,
): Promise<void> {
  let next = first;
  const loop = async (): Promise<void> => {
    while (next < end) await op(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

function perSecond(count: number, start: number): number {
  return count / ((performance.now() - start) / 1000);
}

/**
 * Fsyncs, untimed, a file that a contender wrote without fsync. Otherwise the
 * next contender's first fsync would also commit this one's pending metadata
 * (one file-system journal for all files) and its dirty pages would be written
 * back while the next one runs: this contender's unpaid work billed to another.
 */
export async function settle(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
