import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import type { BenchRecord } from '../records.js';

interface LowData {
  records: BenchRecord[];
}

/**
 * lowdb with its JSONFile adapter, holding `initial` (written once). Every
 * `write()` serializes the whole database (indented) to a temp file and
 * renames it over the old one, without fsync.
 */
export async function openLowdb(
  file: string,
  initial: readonly BenchRecord[],
): Promise<Low<LowData>> {
  const db = new Low<LowData>(new JSONFile<LowData>(file), { records: [] });
  await db.read();
  db.data.records.push(...initial);
  await db.write();
  return db;
}
