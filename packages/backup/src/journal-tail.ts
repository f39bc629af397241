import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Journal, SEAL_OP, listSegments, verifyLine } from '@vellum/journal';

/**
 * The journal's writer lock (`Journal.withLock`): holding it, no process
 * commits to the collection or rewrites its files. Taken without opening the
 * journal, because `Journal.open` reads the whole newest segment (seconds for
 * a large one) only to learn what a backup does not need.
 */
export async function withJournalLock<T>(
  journalDir: string,
  fn: () => Promise<T>,
  lockTimeout: number | undefined,
): Promise<T> {
  return Journal.withLock(journalDir, fn, { lockTimeout });
}

interface TailRecord {
  seq: number;
  /** On a transaction's first record: how many records it has. */
  tx: number | undefined;
  seal: boolean;
}

/**
 * The verified records in the last `length` bytes of a segment, oldest first.
 * A partial first line (the read began mid-line) and an unfinished end (a
 * writer that died mid-append) are left out.
 */
async function tailRecords(
  path: string,
  length: number,
): Promise<{ records: TailRecord[]; fromStart: boolean }> {
  const handle = await open(path, 'r');
  let text: string;
  let fromStart: boolean;
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - length);
    fromStart = start === 0;
    const buffer = Buffer.alloc(size - start);
    let read = 0;
    while (read < buffer.length) {
      const { bytesRead } = await handle.read(buffer, read, buffer.length - read, start + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    text = buffer.subarray(0, read).toString('utf8');
  } finally {
    await handle.close();
  }
  const lines = text.split('\n');
  lines.pop(); // After the last newline: empty, or an unfinished line.
  if (!fromStart) lines.shift();
  const parsed = lines.map((line): TailRecord | undefined => {
    try {
      const value = JSON.parse(line) as { seq?: unknown; tx?: unknown; op?: unknown };
      if (!verifyLine(value, line) || typeof value.seq !== 'number') return undefined;
      return {
        seq: value.seq,
        tx: typeof value.tx === 'number' ? value.tx : undefined,
        seal: value.op === SEAL_OP,
      };
    } catch {
      return undefined;
    }
  });
  // A bad end is a torn append; a bad line before good ones is damage, and what precedes it is not used.
  while (parsed.length > 0 && parsed.at(-1) === undefined) parsed.pop();
  const lastBad = parsed.lastIndexOf(undefined);
  const records = parsed.slice(lastBad + 1).filter((r): r is TailRecord => r !== undefined);
  if (lastBad >= 0) fromStart = true;
  return { records, fromStart };
}

/**
 * Sequence number that ends the last complete transaction (or seal) among
 * `records`; `more` when that needs records from further back.
 */
function committedEnd(records: readonly TailRecord[], fromStart: boolean): number | 'more' | null {
  const last = records.at(-1);
  if (last === undefined) return fromStart ? null : 'more';
  if (last.seal) return last.seq;
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i];
    if (record === undefined) continue;
    // Records after a seal without a transaction header are single-record transactions.
    if (record.seal) return last.seq;
    if (record.tx !== undefined) {
      const end = record.seq + record.tx - 1;
      // The newest transaction is whole, or was cut short: then the one before it ends the journal.
      if (end >= last.seq) return end === last.seq ? last.seq : record.seq - 1;
      return last.seq;
    }
  }
  return fromStart ? last.seq : 'more';
}

/**
 * The journal's last committed sequence number (seals count, as in
 * `journal.lastSeq`), read from the end of its newest non-empty segment
 * rather than by parsing whole segments. An unfinished transaction at the end
 * does not count.
 */
export async function lastCommittedSeq(journalDir: string): Promise<number> {
  const segments = await listSegments(journalDir);
  for (let i = segments.length - 1; i >= 0; i--) {
    const path = join(journalDir, segments[i]?.name ?? '');
    for (let length = 64 * 1024; ; length *= 4) {
      const { records, fromStart } = await tailRecords(path, length);
      const end = committedEnd(records, fromStart);
      if (end === null) break;
      if (end !== 'more') return end;
    }
  }
  return 0;
}
