import { readdir } from 'node:fs/promises';
import { useTempDirs } from '@vellum/test-utils';

/** A fresh directory per test, removed after it. */
export const { freshDir } = useTempDirs('vellum-test-');

/** Names in `dir`, sorted. */
export async function listNames(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}
