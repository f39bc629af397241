/** Keeps only the given fields (dotted paths such as `metadata.story_id`) of a document. */
export function project(doc: unknown, fields: readonly string[] | undefined): unknown {
  if (fields === undefined || typeof doc !== 'object' || doc === null) return doc;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const parts = field.split('.');
    let source: unknown = doc;
    for (const part of parts) {
      source =
        typeof source === 'object' && source !== null && Object.hasOwn(source, part)
          ? (source as Record<string, unknown>)[part]
          : undefined;
    }
    if (source === undefined) continue;
    let target = out;
    parts.forEach((part, i) => {
      const next = Object.hasOwn(target, part) ? target[part] : undefined;
      if (i < parts.length - 1 && typeof next === 'object' && next !== null) {
        target = next as Record<string, unknown>;
        return;
      }
      const value = i === parts.length - 1 ? source : {};
      // defineProperty, not assignment: a "__proto__" field is data, never the prototype.
      Object.defineProperty(target, part, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      if (i < parts.length - 1) target = value as Record<string, unknown>;
    });
  }
  return out;
}

/** Opaque cursor: the position to continue after. */
export function encodeCursor(position: string | number): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** @returns the position, or `undefined` when the cursor is not one of ours. */
export function decodeCursor(cursor: string): string | number | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return typeof value === 'string' || typeof value === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}
