import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { fsyncDirectory, nodeFs, type FsLayer } from './fs-layer.js';

function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/**
 * `<path>.<kind>-<UTC timestamp>-<random>`: beside the original, sorted by time.
 * `corrupt` and `torn` name damaged files kept aside; `reset` a good file an
 * explicit reset moved out of the way.
 */
export function quarantineName(
  path: string,
  kind: 'corrupt' | 'torn' | 'reset',
  now = new Date(),
): string {
  return `${path}.${kind}-${stamp(now)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Moves a bad file aside (never deletes it) and makes the move durable.
 * @returns where the file now is.
 */
export async function quarantineFile(path: string, fs: FsLayer = nodeFs): Promise<string> {
  const destination = quarantineName(path, 'corrupt');
  await fs.rename(path, destination);
  await fsyncDirectory(fs, dirname(path));
  return destination;
}
