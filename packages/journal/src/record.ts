import { crc32 } from 'node:zlib';
import { SerializationError } from '@vellum/atomic-io';

/** One operation as the caller gives it. */
export interface JournalOp {
  /** What happened: `put`, `patch`, `delete`, or any name of the caller's. */
  op: string;
  /** The id of the document it concerns, if any. */
  id?: string | undefined;
  /** The operation's payload; any JSON value. */
  data?: unknown;
  /**
   * The payload already serialized with `JSON.stringify`, written verbatim
   * instead of serializing `data` again (a caller that keeps the text saves a
   * second encoding). Records read back from disk never carry it.
   */
  json?: string | undefined;
}

/** One operation as stored: a line of the segment. */
export interface JournalRecord extends JournalOp {
  seq: number;
  /** ISO-8601 time of the append. */
  ts: string;
  /** On the first record of a transaction of several operations: how many follow, itself included. */
  tx?: number | undefined;
}

/** Marks the end of a segment, naming the next one. Never part of a transaction. */
export const SEAL_OP = '$seal';

const CRC_SUFFIX_LENGTH = ',"crc":"00000000"}'.length;

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}

/**
 * Serializes a record as one JSON line whose last member is the CRC-32 of
 * everything before it: `{"seq":1,...,"crc":"1a2b3c4d"}`. The line stays plain
 * JSON for other tools; the checksum catches torn and flipped bytes.
 * @throws {SerializationError} `data` is not JSON.
 */
export function encodeRecord(record: JournalRecord, path: string): string {
  // Built as text, member by member: the same line JSON.stringify would give, without an object per record.
  let open = `{"seq":${record.seq},"ts":${JSON.stringify(record.ts)},"op":${JSON.stringify(record.op)}`;
  if (record.id !== undefined) open += `,"id":${JSON.stringify(record.id)}`;
  if (record.tx !== undefined) open += `,"tx":${record.tx}`;
  if (record.json !== undefined) {
    open += `,"data":${record.json}`;
  } else if (record.data !== undefined) {
    let data: string | undefined;
    try {
      data = JSON.stringify(record.data);
    } catch (error) {
      throw new SerializationError(
        `cannot serialize journal record for ${record.id ?? record.op}: ${(error as Error).message}`,
        { path, cause: error },
      );
    }
    if (data !== undefined) open += `,"data":${data}`;
  }
  return `${open},"crc":"${hex(crc32(open))}"}`;
}

/** True when the line's CRC matches its content. */
export function verifyLine(value: unknown, line: string): boolean {
  const crc = (value as { crc?: unknown } | null)?.crc;
  if (typeof crc !== 'string' || line.length < CRC_SUFFIX_LENGTH) return false;
  const covered = line.slice(0, line.length - CRC_SUFFIX_LENGTH);
  return hex(crc32(covered)) === crc && line.endsWith(`,"crc":"${crc}"}`);
}

/** The record without its checksum. */
export function decodeRecord(value: unknown): JournalRecord {
  const { crc: _crc, ...record } = value as JournalRecord & { crc: string };
  return record;
}
