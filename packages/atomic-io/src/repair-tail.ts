import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { TornTail } from './errors.js';
import { quarantineName } from './quarantine.js';
import { scanRecords, type ReadRecordsOptions } from './read-records.js';
import { writeFileAtomic } from './write-atomic.js';

export interface TailRepair {
  path: string;
  tail: TornTail;
  /** The cut bytes, kept for inspection. */
  quarantinedTo: string;
  /** Good records left in the file. */
  records: number;
}

/**
 * Cuts `path` back to `offset`, first copying the bytes past it (durably) to a
 * quarantine file beside it. Hold the file's writer lock.
 * @returns the quarantine file, or `null` when the file is not longer than `offset`.
 */
export async function truncateTail(path: string, offset: number): Promise<string | null> {
  const target = resolve(path);
  const handle = await open(target, 'r+');
  try {
    const { size } = await handle.stat();
    if (size <= offset) return null;
    const cut = Buffer.alloc(size - offset);
    for (let read = 0; read < cut.length;) {
      const { bytesRead } = await handle.read(cut, read, cut.length - read, offset + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    const quarantinedTo = quarantineName(target, 'torn');
    // The cut bytes are durable before the file loses them.
    await writeFileAtomic(quarantinedTo, cut);
    await handle.truncate(offset);
    await handle.sync();
    return quarantinedTo;
  } finally {
    await handle.close();
  }
}

/**
 * Cuts a torn tail off a JSONL file, keeping the cut bytes in a quarantine
 * file beside it. Hold the file's writer lock while repairing.
 *
 * @returns what was cut, or `null` when the file has no torn tail.
 * @throws {CorruptFileError} a bad line is followed by good ones: that is not a tail, nothing is cut.
 */
export async function repairTail(
  path: string,
  options: Pick<ReadRecordsOptions, 'verify'> = {},
): Promise<TailRepair | null> {
  const target = resolve(path);
  const { records, tail } = await scanRecords(target, options);
  if (tail === undefined) return null;
  const quarantinedTo = await truncateTail(target, tail.offset);
  if (quarantinedTo === null) return null;
  return { path: target, tail, quarantinedTo, records };
}
