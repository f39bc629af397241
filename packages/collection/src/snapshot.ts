import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { CorruptFileError, writeFileAtomic } from '@vellum/atomic-io';
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
 * lets a reader share the id strings), as one JSONL file, atomically. The
 * header carries a CRC-32 of everything after it, so that documents can be
 * read lazily after one check at open.
 */
export async function writeSnapshot(
  stateDir: string,
  seq: number,
  docs: Iterable<SnapshotDocument>,
  indexes: readonly SnapshotIndex[],
): Promise<void> {
  const parts: string[] = [];
  const positions = new Map<string, number>();
  for (const doc of docs) {
    positions.set(doc.id, positions.size);
    parts.push(`{"id":${JSON.stringify(doc.id)},"rev":${doc.rev},"doc":${doc.json}}\n`);
  }
  let written = 0;
  for (const index of indexes) {
    const entries = toPositions(index.entries, positions);
    if (entries === undefined) continue;
    parts.push(
      `${JSON.stringify({ index: index.name, fingerprint: index.fingerprint, entries })}\n`,
    );
    written++;
  }
  const body = parts.join('');
  const header = JSON.stringify({
    format: 2,
    seq,
    count: positions.size,
    indexes: written,
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

interface SnapshotHeader {
  format: 1 | 2;
  seq: number;
  count: number;
  indexes: number;
  crc: string | undefined;
}

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
  let header: Partial<Record<keyof SnapshotHeader, unknown>>;
  try {
    header = JSON.parse(text) as typeof header;
  } catch {
    throw corrupt(1, 'unreadable header');
  }
  const { format, seq, count, crc } = header;
  const indexes = format === 2 ? header.indexes : 0;
  if (
    (format !== 1 && format !== 2) ||
    typeof seq !== 'number' ||
    typeof count !== 'number' ||
    typeof indexes !== 'number' ||
    (format === 2 && typeof crc !== 'string')
  ) {
    throw corrupt(1, 'not a snapshot header');
  }
  return { format, seq, count, indexes, crc: typeof crc === 'string' ? crc : undefined };
}

/**
 * Reads the snapshot in pieces: checks the CRC, hands over each document's id,
 * revision and place in the file without decoding it, and parses the
 * persisted indexes. The file stays open for reading documents on demand.
 * @returns `null` when there is none.
 * @throws {CorruptFileError} naming the line.
 */
export async function readSnapshot(
  stateDir: string,
  onDocument: OnSnapshotDocument,
): Promise<Snapshot | null> {
  const path = join(stateDir, STATE_FILES.snapshot);
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw error;
  }
  const corrupt = (line: number, why: string): CorruptFileError =>
    new CorruptFileError(`${path}:${line}: ${why}`, { path, line });
  let header: SnapshotHeader | undefined;
  let crc = 0;
  let lineNumber = 0;
  let count = 0;
  const ids: string[] = [];
  const indexLines: { name: string; fingerprint: string; entries: unknown; line: number }[] = [];
  /** The line `block[start, end)`, which begins at `base + start` in the file. */
  const onLine = (block: Buffer, start: number, end: number, base: number): void => {
    lineNumber++;
    if (header === undefined) {
      header = parseHeader(block.toString('utf8', start, end), corrupt);
      return;
    }
    if (count < header.count) {
      const line = splitDocumentLine(block, start, end);
      if (line === undefined) throw corrupt(lineNumber, 'not a snapshot document line');
      if (header.format === 1) {
        // Format 1 has no CRC: each document is checked by parsing it once, as it used to be.
        try {
          JSON.parse(block.toString('utf8', line.start, line.end));
        } catch {
          throw corrupt(lineNumber, 'invalid JSON');
        }
      }
      ids.push(line.id);
      onDocument(line.id, line.rev, base + line.start, line.end - line.start);
      count++;
      return;
    }
    let value: Partial<{ index: unknown; fingerprint: unknown; entries: unknown }>;
    try {
      value = JSON.parse(block.toString('utf8', start, end)) as typeof value;
    } catch {
      throw corrupt(lineNumber, 'invalid JSON');
    }
    if (typeof value.index !== 'string' || typeof value.fingerprint !== 'string') {
      throw corrupt(lineNumber, 'not a snapshot index line');
    }
    indexLines.push({
      name: value.index,
      fingerprint: value.fingerprint,
      entries: value.entries,
      line: lineNumber,
    });
  };
  try {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let carry = Buffer.alloc(0);
    let position = 0;
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
      // The CRC covers everything after the header line.
      let covered = 0;
      while (start < cut) {
        let end = block.indexOf(NEWLINE, start);
        if (end === -1 || end >= cut) end = cut;
        const isHeader = header === undefined;
        onLine(block, start, end, base);
        start = end + 1;
        if (isHeader) covered = Math.min(start, cut);
      }
      crc = crc32(block.subarray(covered, cut), crc);
      // Copied: `chunk` is overwritten by the next read.
      carry = Buffer.from(block.subarray(cut));
      if (atEnd) break;
    }
    if (header === undefined) throw corrupt(1, 'empty file');
    if (header.format === 2 && header.crc !== hex(crc)) {
      throw corrupt(1, 'checksum mismatch: the file changed after it was written');
    }
    if (count !== header.count || indexLines.length !== header.indexes) {
      throw corrupt(1, `header does not match the ${lineNumber - 1} lines that follow`);
    }
    const indexes: SnapshotIndex[] = [];
    for (const { name, fingerprint, entries, line } of indexLines) {
      const named = toIds(entries, ids);
      if (named === undefined)
        throw corrupt(line, `index ${name} names a document that is not here`);
      indexes.push({ name, fingerprint, entries: named });
    }
    return { seq: header.seq, count, indexes, file, path };
  } catch (error) {
    await file.close();
    throw error;
  }
}
