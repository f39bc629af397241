import { dirname } from 'node:path';
import { appendRecords, ensureDir } from '@vellum/atomic-io';

/**
 * Appends one record to a dated JSONL file (durable; concurrent calls share an
 * fdatasync). The folder is created on first use.
 */
export async function appendDated(path: string, record: unknown): Promise<void> {
  await ensureDir(dirname(path));
  await appendRecords(path, [record]);
}
