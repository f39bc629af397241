import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { CorruptFileError, openOrNull, writeFileAtomic } from '@vellum/atomic-io';
import { STATE_FILES } from './checkpoint.js';

/** A document as the snapshot is given it: its JSON text. */
export interface SnapshotDocument {
  id: string;
  rev: number;
  json: string;
}

/** A secondary index as built at the snapshot's sequence: key -> ids (or id, for a unique index). */
export interface SnapshotIndex {
  name: string;
  /** Identifies the index definition it was built with; a changed definition means a rebuild. */
  fingerprint: string;
  entries: Record<string, string[] | string>;
}

export interface Snapshot {
  seq: number;
  count: number;
  indexes: SnapshotIndex[];
  /** The open snapshot file, which documents are read from on demand; close it when done. */
  file: FileHandle;
  path: string;
}

/**
 * Receives each document of a snapshot as it is read: its id, revision and
 * where its JSON text lies in the file. On an error, discard what it was given.
 */
export type OnSnapshotDocument = (id: string, rev: number, offset: number, length: number) => void;

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}

/**
 * Writes every document with its revision, then the secondary indexes (ids
 * given as the documents' positions in the file, which keeps them small and
 * lets a reader share the id strings), then a directory of every document's
 * id, revision and byte range, as one JSONL file, atomically. The header
 * carries a CRC-32 of everything after it and where the indexes and the
 * directory begin, so that opening reads those and checks the rest without
 * scanning it line by line.
 */
export async function writeSnapshot(
  stateDir: string,
  seq: number,
  docs: Iterable<SnapshotDocument>,
  indexes: readonly SnapshotIndex[],
): Promise<void> {
  const parts: string[] = [];
  const positions = new Map<string, number>();
  const directory = {
    ids: [] as string[],
    revs: [] as number[],
    offsets: [] as number[],
    lengths: [] as number[],
  };
  let bytes = 0;
  for (const doc of docs) {
    const prefix = `{"id":${JSON.stringify(doc.id)},"rev":${doc.rev},"doc":`;
    const prefixBytes = Buffer.byteLength(prefix);
    const length = Buffer.byteLength(doc.json);
    positions.set(doc.id, directory.ids.length);
    directory.ids.push(doc.id);
    directory.revs.push(doc.rev);
    directory.offsets.push(bytes + prefixBytes);
    directory.lengths.push(length);
    parts.push(prefix, doc.json, '}\n');
    bytes += prefixBytes + length + 2;
  }
  const indexesAt = bytes;
  let written = 0;
  for (const index of indexes) {
    const entries = toPositions(index.entries, positions);
    if (entries === undefined) continue;
    const line = `${JSON.stringify({ index: index.name, fingerprint: index.fingerprint, entries })}\n`;
    parts.push(line);
    bytes += Buffer.byteLength(line);
    written++;
  }
  const directoryAt = bytes;
  parts.push(`${JSON.stringify({ directory })}\n`);
  const body = parts.join('');
  const header = JSON.stringify({
    format: 2,
    seq,
    count: positions.size,
    indexes: written,
    indexesAt,
    directoryAt,
    crc: hex(crc32(body)),
  });
  await writeFileAtomic(join(stateDir, STATE_FILES.snapshot), `${header}\n${body}`);
}

/** The index with positions for ids; `undefined` if it names an id the snapshot lacks. */
function toPositions(
  entries: Record<string, string[] | string>,
  positions: ReadonlyMap<string, number>,
): Record<string, number[] | number> | undefined {
  const out = Object.create(null) as Record<string, number[] | number>;
  for (const [key, ids] of Object.entries(entries)) {
    const list = typeof ids === 'string' ? [ids] : ids;
    const mapped = list.map((id) => positions.get(id) ?? -1);
    if (mapped.includes(-1)) return undefined;
    out[key] = typeof ids === 'string' ? (mapped[0] as number) : mapped;
  }
  return out;
}

/** The index with ids for positions; `undefined` if a position is out of range. */
function toIds(
  entries: unknown,
  ids: readonly string[],
): Record<string, string[] | string> | undefined {
  if (typeof entries !== 'object' || entries === null) return undefined;
  const out = Object.create(null) as Record<string, string[] | string>;
  const idAt = (position: unknown): string | undefined =>
    typeof position === 'number' ? ids[position] : undefined;
  for (const [key, value] of Object.entries(entries)) {
    if (Array.isArray(value)) {
      const list = value.map(idAt);
      if (list.includes(undefined)) return undefined;
      out[key] = list as string[];
    } else {
      const id = idAt(value);
      if (id === undefined) return undefined;
      out[key] = id;
    }
  }
  return out;
}

/** `{"id":"...","rev":N,"doc":` as `writeSnapshot` (and format 1's `JSON.stringify`) lays a line out. */
const DOCUMENT_LINE = /^\{"id":("(?:[^"\\]|\\.)*"),"rev":(\d+),"doc":/;
const ID_START = Buffer.from('{"id":"');
const REV_START = Buffer.from('","rev":');
const DOC_START = Buffer.from(',"doc":');
const NEWLINE = 10;
const QUOTE = 34;
const BACKSLASH = 92;
const CLOSE_BRACE = 125;
/** Read in pieces this large: the file is never in memory whole. */
const CHUNK_BYTES = 4 * 1024 * 1024;

type SnapshotHeader =
  | { format: 1; seq: number; count: number }
  | {
      format: 2;
      seq: number;
      count: number;
      indexes: number;
      /** Where the index lines and the directory line begin, in bytes after the header line. */
      indexesAt: number;
      directoryAt: number;
      crc: string;
    };

interface DocumentLine {
  id: string;
  rev: number;
  /** The document's text: `[start, end)` of the line's buffer. */
  start: number;
  end: number;
}

function startsWithAt(buffer: Buffer, prefix: Buffer, at: number, end: number): boolean {
  if (at + prefix.length > end) return false;
  // A byte loop: for a few bytes, cheaper than a native call per line.
  for (let i = 0; i < prefix.length; i++) if (buffer[at + i] !== prefix[i]) return false;
  return true;
}

/**
 * Splits the document line `buffer[start, end)` into id, revision and the
 * place of the document's text, without decoding or parsing the document.
 */
function splitDocumentLine(buffer: Buffer, start: number, end: number): DocumentLine | undefined {
  if (startsWithAt(buffer, ID_START, start, end) && buffer[end - 1] === CLOSE_BRACE) {
    const idStart = start + ID_START.length;
    let idEnd = idStart;
    let ascii = true;
    for (; idEnd < end; idEnd++) {
      const byte = buffer[idEnd] ?? 0;
      if (byte === QUOTE || byte === BACKSLASH) break;
      if (byte > 127) ascii = false;
    }
    if (startsWithAt(buffer, REV_START, idEnd, end)) {
      let i = idEnd + REV_START.length;
      let rev = 0;
      for (; i < end; i++) {
        const digit = (buffer[i] ?? 0) - 48;
        if (digit < 0 || digit > 9) break;
        rev = rev * 10 + digit;
      }
      if (i > idEnd + REV_START.length && startsWithAt(buffer, DOC_START, i, end)) {
        const id = buffer.toString(ascii ? 'latin1' : 'utf8', idStart, idEnd);
        return { id, rev, start: i + DOC_START.length, end: end - 1 };
      }
    }
  }
  // An id with escapes: rare, worth the decoding.
  const line = buffer.toString('utf8', start, end);
  const match = DOCUMENT_LINE.exec(line);
  const quoted = match?.[1];
  if (match === null || quoted === undefined || !line.endsWith('}')) return undefined;
  const prefixBytes = Buffer.byteLength(match[0]);
  return {
    id: JSON.parse(quoted) as string,
    rev: Number(match[2]),
    start: start + prefixBytes,
    end: end - 1,
  };
}

function parseHeader(text: string, corrupt: (line: number, why: string) => Error): SnapshotHeader {
  let header: Partial<Record<string, unknown>>;
  try {
    header = JSON.parse(text) as typeof header;
  } catch {
    throw corrupt(1, 'unreadable header');
  }
  const { format, seq, count, indexes, indexesAt, directoryAt, crc } = header;
  const natural = (value: unknown): value is number =>
    Number.isSafeInteger(value) && (value as number) >= 0;
  if (format === 1 && natural(seq) && natural(count)) return { format, seq, count };
  if (
    format === 2 &&
    natural(seq) &&
    natural(count) &&
    natural(indexes) &&
    natural(indexesAt) &&
    natural(directoryAt) &&
    indexesAt <= directoryAt &&
    typeof crc === 'string'
  ) {
    return { format, seq, count, indexes, indexesAt, directoryAt, crc };
  }
  throw corrupt(1, 'not a snapshot header');
}

interface Directory {
  ids: string[];
  revs: number[];
  offsets: number[];
  lengths: number[];
}

function isDirectory(
  value: unknown,
  count: number,
  bodyBytes: number,
): value is { directory: Directory } {
  const d = (value as { directory?: Partial<Directory> } | null)?.directory;
  if (d === undefined || d === null) return false;
  const { ids, revs, offsets, lengths } = d;
  if (
    ![ids, revs, offsets, lengths].every((list) => Array.isArray(list) && list.length === count)
  ) {
    return false;
  }
  for (let i = 0; i < count; i++) {
    const offset = offsets?.[i];
    const length = lengths?.[i];
    if (
      typeof ids?.[i] !== 'string' ||
      !Number.isSafeInteger(revs?.[i]) ||
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      (offset as number) < 0 ||
      (length as number) < 0 ||
      (offset as number) + (length as number) > bodyBytes
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Reads the snapshot: checks the CRC of everything after the header, and
 * hands over each document's id, revision and place in the file without
 * reading the document; parses the persisted indexes. The file stays open for
 * reading documents on demand.
 * @returns `null` when there is none.
 * @throws {CorruptFileError} naming the line.
 */
export async function readSnapshot(
  stateDir: string,
  onDocument: OnSnapshotDocument,
): Promise<Snapshot | null> {
  const path = join(stateDir, STATE_FILES.snapshot);
  const file = await openOrNull(path);
  if (file === null) return null;
  const corrupt = (line: number, why: string): CorruptFileError =>
    new CorruptFileError(`${path}:${line}: ${why}`, { path, line });
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    const { bytesRead } = await file.read(chunk, 0, CHUNK_BYTES, 0);
    const headerEnd = chunk.subarray(0, bytesRead).indexOf(NEWLINE);
    if (headerEnd === -1) throw corrupt(1, 'no header line');
    const header = parseHeader(chunk.toString('utf8', 0, headerEnd), corrupt);
    const bodyStart = headerEnd + 1;
    const read =
      header.format === 1
        ? await scanFormat1(file, chunk, bodyStart, header.count, onDocument, corrupt)
        : await readFormat2(file, chunk, bodyStart, header, onDocument, corrupt);
    return { seq: header.seq, count: header.count, indexes: read, file, path };
  } catch (error) {
    await file.close();
    throw error;
  }
}

type Corrupt = (line: number, why: string) => CorruptFileError;

/** Format 2: one pass for the CRC, keeping only the index and directory lines. */
async function readFormat2(
  file: FileHandle,
  chunk: Buffer,
  bodyStart: number,
  header: Extract<SnapshotHeader, { format: 2 }>,
  onDocument: OnSnapshotDocument,
  corrupt: Corrupt,
): Promise<SnapshotIndex[]> {
  let crc = 0;
  const tail: Buffer[] = [];
  const tailStart = bodyStart + header.indexesAt;
  for (let position = bodyStart; ;) {
    const { bytesRead } = await file.read(chunk, 0, CHUNK_BYTES, position);
    if (bytesRead === 0) break;
    const bytes = chunk.subarray(0, bytesRead);
    crc = crc32(bytes, crc);
    const from = Math.max(0, tailStart - position);
    // Copied: `chunk` is overwritten by the next read.
    if (from < bytesRead) tail.push(Buffer.from(bytes.subarray(from)));
    position += bytesRead;
  }
  if (header.crc !== hex(crc)) {
    throw corrupt(1, 'checksum mismatch: the file changed after it was written');
  }
  const bytes = Buffer.concat(tail);
  // The header says where the directory begins: the index lines are everything before it.
  const directoryStart = header.directoryAt - header.indexesAt;
  const lines = bytes.toString('utf8', 0, directoryStart).split('\n');
  if (lines.at(-1) === '') lines.pop();
  const firstLine = header.count + 2;
  if (lines.length !== header.indexes || directoryStart > bytes.length) {
    throw corrupt(firstLine, `expected ${header.indexes} index lines before the directory`);
  }
  let directory: unknown;
  try {
    directory = JSON.parse(bytes.toString('utf8', directoryStart));
  } catch {
    throw corrupt(firstLine + header.indexes, 'invalid JSON');
  }
  if (!isDirectory(directory, header.count, header.indexesAt)) {
    throw corrupt(firstLine + header.indexes, 'not the directory of this snapshot');
  }
  const { ids, revs, offsets, lengths } = directory.directory;
  for (let i = 0; i < header.count; i++) {
    onDocument(
      ids[i] as string,
      revs[i] as number,
      bodyStart + (offsets[i] as number),
      lengths[i] as number,
    );
  }
  return parseIndexLines(lines, firstLine, ids, corrupt);
}

function parseIndexLines(
  lines: readonly string[],
  firstLine: number,
  ids: readonly string[],
  corrupt: Corrupt,
): SnapshotIndex[] {
  return lines.map((text, i) => {
    let value: Partial<{ index: unknown; fingerprint: unknown; entries: unknown }>;
    try {
      value = JSON.parse(text) as typeof value;
    } catch {
      throw corrupt(firstLine + i, 'invalid JSON');
    }
    if (typeof value.index !== 'string' || typeof value.fingerprint !== 'string') {
      throw corrupt(firstLine + i, 'not a snapshot index line');
    }
    const entries = toIds(value.entries, ids);
    if (entries === undefined) {
      throw corrupt(firstLine + i, `index ${value.index} names a document that is not here`);
    }
    return { name: value.index, fingerprint: value.fingerprint, entries };
  });
}

/**
 * Format 1 (no CRC, no indexes, no directory): every line is scanned, and
 * each document checked by parsing it once, as it used to be.
 */
async function scanFormat1(
  file: FileHandle,
  chunk: Buffer,
  bodyStart: number,
  count: number,
  onDocument: OnSnapshotDocument,
  corrupt: Corrupt,
): Promise<SnapshotIndex[]> {
  let lineNumber = 1;
  let seen = 0;
  let carry = Buffer.alloc(0);
  let position = bodyStart;
  for (;;) {
    const { bytesRead } = await file.read(chunk, 0, CHUNK_BYTES, position);
    position += bytesRead;
    const atEnd = bytesRead === 0;
    const fresh = chunk.subarray(0, bytesRead);
    const block = carry.length === 0 ? fresh : Buffer.concat([carry, fresh]);
    const base = position - bytesRead - carry.length;
    // Whole lines only; a line cut by the chunk's end waits for the next read.
    const cut = atEnd ? block.length : block.lastIndexOf(NEWLINE) + 1;
    let start = 0;
    while (start < cut) {
      let end = block.indexOf(NEWLINE, start);
      if (end === -1 || end >= cut) end = cut;
      lineNumber++;
      const line = seen < count ? splitDocumentLine(block, start, end) : undefined;
      if (line === undefined) throw corrupt(lineNumber, 'not a snapshot document line');
      try {
        JSON.parse(block.toString('utf8', line.start, line.end));
      } catch {
        throw corrupt(lineNumber, 'invalid JSON');
      }
      onDocument(line.id, line.rev, base + line.start, line.end - line.start);
      seen++;
      start = end + 1;
    }
    // Copied: `chunk` is overwritten by the next read.
    carry = Buffer.from(block.subarray(cut));
    if (atEnd) break;
  }
  if (seen !== count) throw corrupt(1, `header does not match the ${seen} lines that follow`);
  return [];
}
