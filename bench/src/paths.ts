import { mkdir, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchRoot = fileURLToPath(new URL('..', import.meta.url));
export const resultsDir = join(benchRoot, 'results');
// Not os.tmpdir(): /tmp may be another file system (tmpfs), and fsync costs
// only mean something on the disk the repository lives on.
export const scratchRoot = join(benchRoot, '.tmp');

/** A new empty directory under `parent`, created if needed. */
export async function freshDir(parent: string, prefix: string): Promise<string> {
  await mkdir(parent, { recursive: true });
  return mkdtemp(join(parent, `${prefix}-`));
}
