import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

/** A fresh temp directory, removed after the test. */
export async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vellum-backup-'));
  created.push(dir);
  return dir;
}

/** Runs `close` after the test, before its directory is removed. */
export function onCleanup(close: () => Promise<void>): void {
  cleanups.push(close);
}

afterEach(async () => {
  for (const close of cleanups.splice(0).reverse()) await close();
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * Every file under `dir` with the SHA-256 of its bytes, by relative path;
 * lock files, which come and go with a writer's lease, left out.
 */
export async function contents(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (current: string, prefix: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.includes('.lock')) continue;
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) await walk(join(current, entry.name), path);
      else
        out[path] = createHash('sha256')
          .update(await readFile(join(current, entry.name)))
          .digest('hex');
    }
  };
  await walk(dir, '');
  return out;
}

/** A clock that starts at `start` and moves `stepMs` on every reading. */
export function fakeClock(start: string, stepMs = 0): () => Date {
  let now = Date.parse(start);
  return () => {
    const date = new Date(now);
    now += stepMs;
    return date;
  };
}
