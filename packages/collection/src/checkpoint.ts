import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptFileError, readJson, writeJsonAtomic } from '@vellum/atomic-io';

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

export const STATE_FILES = { checkpoint: CHECKPOINT, snapshot: SNAPSHOT };
