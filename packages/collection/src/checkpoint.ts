import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { CorruptFileError, readJson, writeFileAtomic, writeJsonAtomic } from '@vellum/atomic-io';

/** What the materialized files and the snapshot reflect. */
export interface Checkpoint {
  format: 1;
  /** Journal sequence number the layout's files reflect. */
  materializedSeq: number;
  /** Journal sequence number of `snapshot.jsonl` (0: none). */
  snapshotSeq: number;
  /** When it was written. */
  at: string;
}

const CHECKPOINT = 'checkpoint.json';
const SNAPSHOT = 'snapshot.jsonl';

function isCheckpoint(value: unknown): value is Checkpoint {
  const c = value as Partial<Checkpoint> | null;
  return c?.format === 1 && Number.isInteger(c.materializedSeq) && Number.isInteger(c.snapshotSeq);
}

/**
 * The checkpoint and the modification time of its file, which files edited
 * after it are compared against (same clock, same granularity).
 * @throws {CorruptFileError}
 */
export async function readCheckpoint(
  stateDir: string,
): Promise<{ checkpoint: Checkpoint; mtimeMs: number } | null> {
  const path = join(stateDir, CHECKPOINT);
  const value = await readJson(path);
  if (value === null) return null;
  if (!isCheckpoint(value))
    throw new CorruptFileError(`${path}: not a Vellum checkpoint`, { path, line: 1, column: 1 });
  return { checkpoint: value, mtimeMs: (await stat(path)).mtimeMs };
}

export async function writeCheckpoint(stateDir: string, checkpoint: Checkpoint): Promise<number> {
  const path = join(stateDir, CHECKPOINT);
  await writeJsonAtomic(path, checkpoint);
  return (await stat(path)).mtimeMs;
}

/** A document as the snapshot keeps it: its JSON text, unparsed. */
export interface SnapshotDocument {
  id: string;
  rev: number;
  json: string;
}

/** A secondary index as built at the snapshot's sequence, in its persisted shape. */
export interface SnapshotIndex {
  name: string;
  /** Identifies the index definition it was built with; a changed definition means a rebuild. */
  fingerprint: string;
  entries: unknown;
}

export interface Snapshot {
  seq: number;
  docs: SnapshotDocument[];
  indexes: SnapshotIndex[];
}

function hex(value: number): string {
  return value.toString(16).padStart(8, '0');
}

/**
 * Writes every document with its revision, then the secondary indexes, as one
 * JSONL file, atomically. The header carries a CRC-32 of everything after it,
 * so that documents can be parsed lazily after one cheap check at open.
 */
export async function writeSnapshot(
  stateDir: string,
  seq: number,
  docs: Iterable<SnapshotDocument>,
  indexes: readonly SnapshotIndex[],
): Promise<void> {
  const parts: string[] = [];
  let count = 0;
  for (const doc of docs) {
    parts.push(`{"id":${JSON.stringify(doc.id)},"rev":${doc.rev},"doc":${doc.json}}\n`);
    count++;
  }
  for (const index of indexes) {
    parts.push(
      `${JSON.stringify({ index: index.name, fingerprint: index.fingerprint, entries: index.entries })}\n`,
    );
  }
  const body = parts.join('');
  const header = JSON.stringify({
    format: 2,
    seq,
    count,
    indexes: indexes.length,
    crc: hex(crc32(body)),
  });
  await writeFileAtomic(join(stateDir, SNAPSHOT), `${header}\n${body}`);
}

/** `{"id":"...","rev":N,"doc":` as `writeSnapshot` (and format 1's `JSON.stringify`) lays a line out. */
const DOCUMENT_LINE = /^\{"id":("(?:[^"\\]|\\.)*"),"rev":(\d+),"doc":/;

/**
 * Reads the snapshot: checks the CRC, splits the documents' text off each
 * line without parsing it, and parses the persisted indexes.
 * @returns `null` when there is none.
 * @throws {CorruptFileError} naming the line.
 */
export async function readSnapshot(stateDir: string): Promise<Snapshot | null> {
  const path = join(stateDir, SNAPSHOT);
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw error;
  }
  const corrupt = (line: number, why: string): CorruptFileError =>
    new CorruptFileError(`${path}:${line}: ${why}`, { path, line });
  const headerEnd = buffer.indexOf(10);
  let header: {
    format?: unknown;
    seq?: unknown;
    count?: unknown;
    indexes?: unknown;
    crc?: unknown;
  };
  try {
    header = JSON.parse(
      buffer.toString('utf8', 0, headerEnd === -1 ? buffer.length : headerEnd),
    ) as typeof header;
  } catch {
    throw corrupt(1, 'unreadable header');
  }
  const bodyBytes = buffer.subarray(headerEnd === -1 ? buffer.length : headerEnd + 1);
  if (header.format === 2 && header.crc !== hex(crc32(bodyBytes))) {
    throw corrupt(1, 'checksum mismatch: the file changed after it was written');
  }
  const lines = bodyBytes.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const indexCount = header.format === 2 ? header.indexes : 0;
  if (
    (header.format !== 1 && header.format !== 2) ||
    typeof header.seq !== 'number' ||
    typeof header.count !== 'number' ||
    typeof indexCount !== 'number' ||
    header.count + indexCount !== lines.length
  ) {
    throw corrupt(1, `header does not match the ${lines.length} lines that follow`);
  }
  const docs: SnapshotDocument[] = [];
  for (let i = 0; i < header.count; i++) {
    const line = lines[i] ?? '';
    const match = DOCUMENT_LINE.exec(line);
    const quoted = match?.[1];
    if (match === null || quoted === undefined || !line.endsWith('}')) {
      throw corrupt(i + 2, 'not a snapshot document line');
    }
    const id = quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
    const json = line.slice(match[0].length, -1);
    if (header.format === 1) {
      // Format 1 was checked line by line, not by CRC: parse each once, as it used to be.
      try {
        JSON.parse(json);
      } catch {
        throw corrupt(i + 2, 'invalid JSON');
      }
    }
    docs.push({ id, rev: Number(match[2]), json });
  }
  const indexes: SnapshotIndex[] = [];
  for (let i = header.count; i < lines.length; i++) {
    let value: Partial<{ index: unknown; fingerprint: unknown; entries: unknown }>;
    try {
      value = JSON.parse(lines[i] ?? '') as typeof value;
    } catch {
      throw corrupt(i + 2, 'invalid JSON');
    }
    if (typeof value.index !== 'string' || typeof value.fingerprint !== 'string') {
      throw corrupt(i + 2, 'not a snapshot index line');
    }
    indexes.push({ name: value.index, fingerprint: value.fingerprint, entries: value.entries });
  }
  return { seq: header.seq, docs, indexes };
}

export const STATE_FILES = { checkpoint: CHECKPOINT, snapshot: SNAPSHOT };
