import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Journal, Transaction } from '../src/index.js';

const created: string[] = [];
const opened: Journal[] = [];

export async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vellum-journal-'));
  created.push(dir);
  return dir;
}

/** Registers a journal to close after the test. */
export function track<T extends Journal>(journal: T): T {
  opened.push(journal);
  return journal;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((journal) => journal.close()));
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

export async function readAll(journal: Journal, afterSeq = 0): Promise<Transaction[]> {
  const out: Transaction[] = [];
  for await (const tx of journal.read(afterSeq)) out.push(tx);
  return out;
}
