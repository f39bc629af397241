import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];
const cleanups: (() => Promise<void>)[] = [];

/** A fresh temp directory, removed after the test. */
export async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'vellum-cache-'));
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

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** A promise settled from outside, to hold a loader mid-flight. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued microtask and already-settled promise callback run. */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
