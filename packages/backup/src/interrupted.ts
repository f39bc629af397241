import { basename, dirname, join, resolve } from 'node:path';
import {
  ensureDir,
  fsyncDirectory,
  nodeFs,
  readJson,
  unlinkIfExists,
  writeJsonAtomic,
} from '@vellum/atomic-io';
import { durableRename, exists, fromPosix } from './files.js';
import type { BackupLocation } from './location.js';
import { formatStamp } from './manifest.js';

/**
 * What a restore is about to do, written before its first rename so that a
 * crash between the renames can be completed instead of leaving no store.
 */
export interface RestoreIntent {
  root: string;
  /** The fully restored tree, beside the root. */
  staging: string;
  /** Where the current state goes (`<root>.backup.<YYYYMMDD_HHMMSS>`); `null` when there was none. */
  aside: string | null;
  /** The backups' folder relative to the root, when it lives inside it: it comes back into the new root. */
  checkpoints: string | null;
}

export interface CompletedRestore {
  root: string;
  /** Where the state that was current is kept; `null` when there was none. */
  movedAside: string | null;
}

/** `<parent>/.<root name>.vellum-restore.json`: beside the root, since the root itself moves. */
export function intentPath(root: string): string {
  return join(dirname(root), `.${basename(root)}.vellum-restore.json`);
}

/** `<root>.backup.<YYYYMMDD_HHMMSS>` (spec 000), with `-N` when that name is taken. */
export async function asideName(root: string, now: Date): Promise<string> {
  const base = `${root}.backup.${formatStamp(now)}`;
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base}-${n}`;
    if (!(await exists(name))) return name;
  }
}

export async function writeIntent(intent: RestoreIntent): Promise<void> {
  await writeJsonAtomic(intentPath(intent.root), intent);
}

/**
 * Carries a restore's renames through; every step checks what is already done,
 * so running it again after a crash at any point finishes the same way:
 * the current root moves aside (a root recreated since, by a program that
 * found none, moves aside under a fresh name: nothing is deleted), the
 * backups' folder moves from the old state into the new tree, and the new tree
 * becomes the root. Then the intent is removed.
 */
export async function completeRestore(intent: RestoreIntent): Promise<CompletedRestore> {
  const { root, staging } = intent;
  if (await exists(staging)) {
    if (await exists(root)) {
      const target =
        intent.aside !== null && !(await exists(intent.aside))
          ? intent.aside
          : await asideName(root, new Date());
      await durableRename(root, target);
    }
    if (intent.aside !== null && intent.checkpoints !== null) {
      const from = fromPosix(intent.aside, intent.checkpoints);
      const to = fromPosix(staging, intent.checkpoints);
      if ((await exists(from)) && !(await exists(to))) {
        await ensureDir(dirname(to));
        await durableRename(from, to);
      }
    }
    await durableRename(staging, root);
  }
  await unlinkIfExists(intentPath(root));
  await fsyncDirectory(nodeFs, dirname(root));
  return { root, movedAside: intent.aside };
}

/**
 * Finishes a restore that a crash interrupted between its renames (see
 * `completeRestore`). Every other function of this package calls it first;
 * call it at start-up before opening collections, so that a program never
 * starts a new empty store where a restore was half done.
 * @returns what was completed, or `null` when nothing was pending.
 * @throws {CorruptFileError} the intent file is unreadable.
 */
export async function recoverInterruptedRestore(
  location: BackupLocation,
): Promise<CompletedRestore | null> {
  const root = resolve(location.root);
  const intent = await readJson<RestoreIntent>(intentPath(root));
  if (intent === null) return null;
  return completeRestore({ ...intent, root });
}
