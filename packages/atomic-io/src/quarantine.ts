import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { fsyncDirectory, nodeFs, type FsLayer } from './fs-layer.js';

function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** `<path>.<kind>-<UTC timestamp>-<random>`: beside the original, sorted by time. */
export function quarantineName(path: string, kind: 'corrupt' | 'torn', now = new Date()): string {
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
