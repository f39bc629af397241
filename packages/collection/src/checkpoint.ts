import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
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

export interface StoredDocument<T> {
  id: string;
  rev: number;
  doc: T;
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

/** Writes every document with its revision, as one JSONL file, atomically. */
export async function writeSnapshot<T>(
  stateDir: string,
  seq: number,
  docs: Iterable<StoredDocument<T>>,
): Promise<void> {
  const lines: string[] = [];
  for (const entry of docs) lines.push(JSON.stringify(entry));
  const header = JSON.stringify({ format: 1, seq, count: lines.length });
  await writeFileAtomic(
    join(stateDir, SNAPSHOT),
    `${header}\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`,
  );
}

/**
 * Reads the snapshot in one go (it is read whole at open anyway).
 * @returns `null` when there is none.
 * @throws {CorruptFileError} naming the line.
 */
export async function readSnapshot<T>(
  stateDir: string,
): Promise<{ seq: number; docs: StoredDocument<T>[] } | null> {
  const path = join(stateDir, SNAPSHOT);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw error;
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const corrupt = (line: number, why: string): CorruptFileError =>
    new CorruptFileError(`${path}:${line}: ${why}`, { path, line });
  let header: { seq?: unknown; count?: unknown };
  try {
    header = JSON.parse(lines[0] ?? '') as typeof header;
  } catch {
    throw corrupt(1, 'unreadable header');
  }
  if (typeof header.seq !== 'number' || header.count !== lines.length - 1) {
    throw corrupt(1, `header does not match the ${lines.length - 1} documents that follow`);
  }
  const docs: StoredDocument<T>[] = [];
  for (let i = 1; i < lines.length; i++) {
    try {
      docs.push(JSON.parse(lines[i] ?? '') as StoredDocument<T>);
    } catch {
      throw corrupt(i + 1, 'invalid JSON');
    }
  }
  return { seq: header.seq, docs };
}

export const STATE_FILES = { checkpoint: CHECKPOINT, snapshot: SNAPSHOT };
