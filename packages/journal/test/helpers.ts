import { useTempDirs } from '@vellum/test-utils';
import type { Journal, Transaction } from '../src/index.js';

/** A fresh directory per test, removed after it. */
export const { freshDir, onCleanup } = useTempDirs('vellum-journal-');

/** Registers a journal to close after the test, before its directory is removed. */
export function track<T extends Journal>(journal: T): T {
  onCleanup(() => journal.close());
  return journal;
}

export async function readAll(journal: Journal, afterSeq = 0): Promise<Transaction[]> {
  const out: Transaction[] = [];
  for await (const tx of journal.read(afterSeq)) out.push(tx);
  return out;
}
