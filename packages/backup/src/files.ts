import { randomBytes } from 'node:crypto';
import { readdir, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import {
  fsyncDirectory,
  lstatOrNull,
  nodeFs,
  processIsAlive,
  readdirOrEmpty,
} from '@vellum/atomic-io';

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first error after all settle. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}

/**
 * Whether `name` is a lock, never data: `<file>.lock`, the regular file of
 * atomic-io's kernel lock (and of the specs' own tools), which stays beside
 * its file; `<file>.lock.d`, the fallback's lock directory; `<file>.lock`
 * directories of older Vellums; and their `.owner` files. A copy of one in a
 * backup would only be restored as a stale lock.
 */
export function isLockName(name: string): boolean {
  return /\.lock(\.d)?(\.owner)?$/.test(name);
}

export async function exists(path: string): Promise<boolean> {
  return (await lstatOrNull(path)) !== null;
}

/** `path` relative to `root` with `/` separators, or `undefined` when it is not inside `root`. */
export function relativeInside(root: string, path: string): string | undefined {
  const rel = relative(root, resolve(path));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}

/**
 * Why a manifest path is unsafe to join to a directory (absolute, `..`,
 * empty or odd segments), or `undefined` when it is fine. A manifest comes
 * from a file anyone could edit: it must never write outside the target.
 */
export function unsafePath(path: string): string | undefined {
  if (path === '' || path.startsWith('/')) return 'not a relative path';
  if (path.includes('\\') || path.includes('\0')) return 'contains \\ or NUL';
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return `bad segment "${segment}"`;
  }
  return undefined;
}

/** Joins a checked `/`-separated relative path to `dir`. */
export function fromPosix(dir: string, path: string): string {
  return join(dir, ...path.split('/'));
}

export interface WalkEntry {
  /** Relative, `/`-separated. */
  path: string;
  /** Anything but a regular file or a directory (a symlink, a socket...) is `other`. */
  kind: 'file' | 'other';
}

/**
 * Every file below `dir` (directories are descended, not listed), except
 * below directories `skip` refuses.
 */
export async function walk(
  dir: string,
  skip: (absoluteDir: string) => boolean = () => false,
): Promise<WalkEntry[]> {
  const out: WalkEntry[] = [];
  const visit = async (current: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      const absolute = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!skip(absolute)) await visit(absolute, path);
      } else out.push({ path, kind: entry.isFile() ? 'file' : 'other' });
    }
  };
  await visit(dir, '');
  return out;
}

/**
 * fsyncs `top` and every directory below it that holds one of `files`,
 * deepest first, so that each new entry is durable before its parent's.
 */
export async function fsyncTree(top: string, files: Iterable<string>, limit = 8): Promise<void> {
  const dirs = new Set<string>([top]);
  for (const file of files) {
    for (
      let dir = dirname(file);
      dir.length > top.length && dir.startsWith(top);
      dir = dirname(dir)
    )
      dirs.add(dir);
  }
  const byDepth = [...dirs].sort((a, b) => b.split(sep).length - a.split(sep).length);
  await mapLimit(byDepth, limit, (dir) => fsyncDirectory(nodeFs, dir));
}

/** Renames and fsyncs both parents: the move survives a crash once this resolves. */
export async function durableRename(from: string, to: string): Promise<void> {
  await rename(from, to);
  await fsyncDirectory(nodeFs, dirname(to));
  if (dirname(from) !== dirname(to)) await fsyncDirectory(nodeFs, dirname(from));
}

/** A fresh name for a work directory of this process: `.<prefix>-<pid>-<random>`. */
export function workName(prefix: string): string {
  return `.${prefix}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

const WORK_NAME = /^\.(.+)-(\d+)-[0-9a-f]{12}$/;

/**
 * Removes work directories (`workName`) with one of `prefixes` in `dir` whose
 * process is gone: what a killed create, import or restore left behind. They
 * never hold the only copy of anything: a restore's staging directory is
 * referenced by its intent file while it matters, and `keep` protects it.
 */
export async function removeStaleWork(
  dir: string,
  prefixes: readonly string[],
  keep: ReadonlySet<string> = new Set(),
): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdirOrEmpty(dir)) {
    const match = WORK_NAME.exec(name);
    if (match === null || !prefixes.includes(match[1] ?? '')) continue;
    const path = join(dir, name);
    if (keep.has(path) || processIsAlive(Number(match[2]))) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
