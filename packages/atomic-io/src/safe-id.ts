import { resolve, sep } from 'node:path';
import { InvalidIdError } from './errors.js';

// Names Windows reserves whatever the extension; refused everywhere so a store stays portable.
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;
const MAX_BYTES = 200;

/**
 * Checks that an id can safely become one path segment.
 * @throws {InvalidIdError} naming the reason.
 */
export function assertSafeId(id: unknown, field = 'id'): asserts id is string {
  if (typeof id !== 'string') {
    throw new InvalidIdError(String(id), `${field} must be a string, got ${typeof id}`);
  }
  const reason = unsafeReason(id);
  if (reason !== undefined) throw new InvalidIdError(id, `${field} ${reason}`);
}

/** Why `id` is not a safe path segment, or `undefined` when it is. */
export function unsafeReason(id: string): string | undefined {
  if (id.length === 0) return 'is empty';
  if (Buffer.byteLength(id) > MAX_BYTES) return `is longer than ${MAX_BYTES} bytes`;
  if (id.includes('/') || id.includes('\\')) return 'contains a path separator';
  if (id.includes('..')) return 'contains ".."';
  if (id === '.') return 'is "."';
  if (CONTROL.test(id)) return 'contains a NUL or control character';
  if (WINDOWS_FORBIDDEN.test(id)) return 'contains one of < > : " | ? *';
  if (RESERVED.test(id)) return 'is a reserved device name';
  if (/[ .]$/.test(id) || /^ /.test(id)) return 'starts or ends with a space, or ends with "."';
  return undefined;
}

/**
 * Joins safe segments under `root` and proves the result stays inside it.
 * @throws {InvalidIdError} when a segment is unsafe or the path escapes `root`.
 */
export function resolveInside(root: string, ...segments: string[]): string {
  for (const segment of segments) assertSafeId(segment, 'path segment');
  const base = resolve(root);
  const target = resolve(base, ...segments);
  if (target !== base && !target.startsWith(base + sep)) {
    throw new InvalidIdError(segments.join('/'), `resolves outside ${base}`);
  }
  return target;
}
