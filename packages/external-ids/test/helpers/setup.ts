/**
 * Shared test helpers: a fresh temp directory per test, the spec's fixtures,
 * an fs layer that records calls and injects faults, and file snapshots.
 */
import type { Dirent } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeFs, readdirOrEmpty, type FileHandleLike, type FsLayer } from '@vellum/atomic-io';
import { useTempDirs } from '@vellum/test-utils';
import { ExternalIdMapper, type ExternalIdMapperOptions } from '../../src/index.js';

export const fixturesDir = fileURLToPath(new URL('../fixtures/', import.meta.url));

/**
 * A fresh, empty temp directory, removed after the test (children still
 * running killed first).
 */
export const { freshDir: tempDir } = useTempDirs('vellum-xids-');

/** A fresh state directory (not created yet) and a mapper on it. */
export async function freshMapper(
  options: ExternalIdMapperOptions = {},
): Promise<{ dir: string; mapper: ExternalIdMapper }> {
  const dir = join(await tempDir(), 'state');
  return { dir, mapper: new ExternalIdMapper({ stateDir: dir, ...options }) };
}

/** A state directory holding the spec's example files, as spec 003's tool would leave it. */
export async function specStateDir(): Promise<string> {
  const dir = join(await tempDir(), '.claude', 'state');
  await mkdir(dir, { recursive: true });
  for (const name of ['external_id_mapping.json', 'external_id_counters.json']) {
    await copyFile(join(fixturesDir, name), join(dir, name));
  }
  return dir;
}

/** Every file in `dir` with its bytes (directories as `<dir>`). */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  return snapshotWhere(dir, () => true);
}

/**
 * `snapshot` without the regular `*.lock` files: every change takes kernel
 * locks on them (docs/decisions/0012-kernel-locks.md), and they stay behind,
 * empty, once released, as those spec 003's Python tool leaves. They hold no
 * data, so "nothing was written" compares everything else. A directory named
 * `*.lock` (an old lock directory) is still listed.
 */
export async function snapshotData(dir: string): Promise<Record<string, string>> {
  return snapshotWhere(dir, (entry) => !(entry.isFile() && entry.name.endsWith('.lock')));
}

async function snapshotWhere(
  dir: string,
  keep: (entry: Dirent) => boolean,
): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdirOrEmpty(dir, { withFileTypes: true })) {
    if (!keep(entry)) continue;
    result[entry.name] = entry.isFile() ? await readFile(join(dir, entry.name), 'utf8') : '<dir>';
  }
  return result;
}

export async function readJsonFile(path: string): Promise<unknown> {
  return JSON.parse(await readFile(path, 'utf8')) as unknown;
}

export interface FsCall {
  op: 'open' | 'rename' | 'unlink' | 'link' | 'copyFile' | 'sync' | 'close' | 'write';
  path: string;
  to?: string;
}

/**
 * Wraps the real fs layer: records every call in `calls`, and runs `before`
 * ahead of each call (throw from it to inject a fault).
 */
export function recordingFs(before?: (call: FsCall) => void | Promise<void>): {
  fs: FsLayer;
  calls: FsCall[];
} {
  const calls: FsCall[] = [];
  const hook = async (call: FsCall): Promise<void> => {
    calls.push(call);
    await before?.(call);
  };
  const wrap = (path: string, handle: FileHandleLike): FileHandleLike => ({
    write: async (buffer, offset, length, position) => {
      await hook({ op: 'write', path });
      return handle.write(buffer, offset, length, position);
    },
    sync: async () => {
      await hook({ op: 'sync', path });
      return handle.sync();
    },
    datasync: () => handle.datasync(),
    truncate: (length) => handle.truncate(length),
    stat: () => handle.stat(),
    close: async () => {
      await hook({ op: 'close', path });
      return handle.close();
    },
  });
  const fs: FsLayer = {
    open: async (path, flags, mode) => {
      await hook({ op: 'open', path });
      return wrap(path, await nodeFs.open(path, flags, mode));
    },
    rename: async (from, to) => {
      await hook({ op: 'rename', path: from, to });
      return nodeFs.rename(from, to);
    },
    unlink: async (path) => {
      await hook({ op: 'unlink', path });
      return nodeFs.unlink(path);
    },
    link: async (existing, newPath) => {
      await hook({ op: 'link', path: existing, to: newPath });
      return nodeFs.link(existing, newPath);
    },
    copyFile: async (from, to) => {
      await hook({ op: 'copyFile', path: from, to });
      return nodeFs.copyFile(from, to);
    },
  };
  return { fs, calls };
}

/** An error like the one the OS gives. */
export function errno(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}
