import type { FileEntry } from './walk.js';

/**
 * A lock directory, refreshed by its holder: `<lock file>.d`, atomic-io's
 * fallback where `flock` is not available, or `<path>.lock`, an older
 * Vellum's lock from before kernel locks (docs/decisions/0012-kernel-locks.md).
 * A regular `<path>.lock` is the kernel lock's file: it stays there, empty when
 * free, and the kernel frees it when its holder dies, so it is never stale.
 */
export function lockDirectoryKind(
  entry: Pick<FileEntry, 'name' | 'kind'>,
): 'fallback' | 'legacy' | undefined {
  if (entry.kind !== 'directory') return undefined;
  if (entry.name.endsWith('.lock.d')) return 'fallback';
  if (entry.name.endsWith('.lock')) return 'legacy';
  return undefined;
}
