/** One difference between two versions of a document. */
export interface Change {
  /** Where, e.g. `['metadata', 'priority']`; arrays are compared whole. */
  path: string[];
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Structural equality of JSON values; member order does not matter, array order does. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
}

/**
 * What changed from `before` to `after`, member by member through nested
 * objects, in a stable order (`before`'s members first, then added ones).
 */
export function diffJson(before: unknown, after: unknown, path: string[] = []): Change[] {
  if (jsonEqual(before, after)) return [];
  if (!isPlainObject(before) || !isPlainObject(after)) {
    return [{ path, kind: 'changed', before, after }];
  }
  const changes: Change[] = [];
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key))
      changes.push({ path: [...path, key], kind: 'removed', before: before[key] });
    else changes.push(...diffJson(before[key], after[key], [...path, key]));
  }
  for (const key of Object.keys(after)) {
    if (!Object.hasOwn(before, key))
      changes.push({ path: [...path, key], kind: 'added', after: after[key] });
  }
  return changes;
}
