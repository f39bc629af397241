import { CorruptFileError, openOrNull, readRecords, type TornTail } from '@vellum/atomic-io';
import { JournalCorruptError } from './errors.js';
import { SEAL_OP, decodeRecord, verifyLine, type JournalRecord } from './record.js';

/** Where a reader stands: the next byte to read in a segment. */
export interface Position {
  segment: string;
  offset: number;
  line: number;
}

/** Operations appended together, applied all or nothing. */
export interface Transaction {
  /** Sequence number of the first operation. */
  seq: number;
  /** Sequence number of the last operation. */
  lastSeq: number;
  ops: JournalRecord[];
}

/** What ends a segment that is not yet complete: a torn line or an unfinished transaction. */
export interface PendingTail {
  segment: string;
  /** Cut here to remove it. */
  offset: number;
  line: number;
  reason: TornTail['reason'] | 'incomplete-transaction';
}

export interface SegmentRead {
  /** Just past the last complete transaction (or seal). */
  end: Position;
  /** The seal that closed the segment, if any. */
  seal: JournalRecord | undefined;
  tail: PendingTail | undefined;
}

/**
 * Reads complete transactions from one segment starting at `from`, handing
 * each to `onTransaction`. Stops at the seal. A torn or unfinished end is
 * reported as `tail`, never applied.
 * @throws {JournalCorruptError} a bad record is followed by good ones, or a transaction is interrupted.
 */
export async function readSegment(
  path: string,
  from: Position,
  onTransaction: (tx: Transaction, start: number) => void,
): Promise<SegmentRead> {
  let end = from;
  let previousSeq = 0;
  let seal: JournalRecord | undefined;
  let tornTail: TornTail | undefined;
  let open: { ops: JournalRecord[]; expected: number; offset: number; line: number } | undefined;
  try {
    for await (const raw of readRecords(path, {
      verify: verifyLine,
      startOffset: from.offset,
      startLine: from.line,
      onTornTail: (tail) => (tornTail = tail),
    })) {
      const record = decodeRecord(raw.value);
      if (open !== undefined) {
        if (
          record.tx !== undefined ||
          record.op === SEAL_OP ||
          record.seq !== (open.ops.at(-1)?.seq ?? 0) + 1
        ) {
          throw new JournalCorruptError(
            `${path}:${raw.line}: transaction starting at line ${open.line} is interrupted by another record`,
            { segment: path, line: raw.line },
          );
        }
        open.ops.push(record);
      } else if (record.op === SEAL_OP) {
        seal = record;
        end = { segment: from.segment, offset: raw.end, line: raw.line + 1 };
        break;
      } else {
        if (record.seq <= previousSeq) {
          throw new JournalCorruptError(
            `${path}:${raw.line}: sequence ${record.seq} does not follow ${previousSeq} (two writers without the lock?)`,
            { segment: path, line: raw.line },
          );
        }
        open = { ops: [record], expected: record.tx ?? 1, offset: raw.offset, line: raw.line };
      }
      if (open.ops.length === open.expected) {
        const { ops, offset: start } = open;
        open = undefined;
        previousSeq = ops.at(-1)?.seq ?? previousSeq;
        end = { segment: from.segment, offset: raw.end, line: raw.line + 1 };
        onTransaction({ seq: ops[0]?.seq ?? 0, lastSeq: ops.at(-1)?.seq ?? 0, ops }, start);
      }
    }
  } catch (error) {
    if (error instanceof CorruptFileError) {
      throw new JournalCorruptError(`journal segment is corrupt: ${error.message}`, {
        segment: path,
        line: error.line,
        cause: error,
      });
    }
    throw error;
  }
  let tail: PendingTail | undefined;
  if (open !== undefined) {
    tail = {
      segment: from.segment,
      offset: open.offset,
      line: open.line,
      reason: 'incomplete-transaction',
    };
  } else if (tornTail !== undefined) {
    tail = {
      segment: from.segment,
      offset: tornTail.offset,
      line: tornTail.line,
      reason: tornTail.reason,
    };
  }
  return { end, seal, tail };
}

/** The last record of a segment (its seal, when sealed), reading only its end. */
export async function readLastRecord(path: string): Promise<JournalRecord | undefined> {
  const handle = await openOrNull(path);
  if (handle === null) return undefined;
  try {
    const { size } = await handle.stat();
    for (let window = 4096; ; window *= 4) {
      const start = Math.max(0, size - window);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      const lines = buffer
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== '');
      const last = lines.at(-1);
      if (last !== undefined && (lines.length > 1 || start === 0)) {
        try {
          const value: unknown = JSON.parse(last);
          return verifyLine(value, last) ? decodeRecord(value) : undefined;
        } catch {
          return undefined;
        }
      }
      if (start === 0) return undefined;
    }
  } finally {
    await handle.close();
  }
}
