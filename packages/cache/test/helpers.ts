import { useTempDirs } from '@vellum/test-utils';

/** A fresh temp directory, removed after the test; `onCleanup` runs before it goes. */
export const { freshDir, onCleanup } = useTempDirs('vellum-cache-');

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
