import { SerializationError } from './errors.js';

export interface JsonFormatOptions {
  /** Sort object keys recursively, so that the same value always gives the same bytes. */
  sortKeys?: boolean | undefined;
}

function sortKeysDeep(value: unknown, seen: Set<object>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) throw new TypeError('Converting circular structure to JSON');
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return sortKeysDeep(toJSON.call(value), seen);
  seen.add(value);
  let result: unknown;
  if (Array.isArray(value)) {
    result = value.map((item) => sortKeysDeep(item, seen));
  } else {
    // A null prototype keeps a "__proto__" key as data instead of setting the prototype.
    const sorted = Object.create(null) as Record<string, unknown>;
    for (const key of Object.keys(value).sort()) {
      sorted[key] = sortKeysDeep((value as Record<string, unknown>)[key], seen);
    }
    result = sorted;
  }
  seen.delete(value);
  return result;
}

/**
 * Deterministic JSON for files people read and diff: two-space indent and a
 * trailing newline; with `sortKeys`, keys in code-point order at every depth.
 * @throws {SerializationError} for undefined, functions, BigInt or cycles.
 */
export function formatJson(value: unknown, options: JsonFormatOptions = {}, path?: string): string {
  let text: string | undefined;
  try {
    const input = options.sortKeys === true ? sortKeysDeep(value, new Set()) : value;
    text = JSON.stringify(input, null, 2);
  } catch (error) {
    throw new SerializationError(
      `cannot serialize value as JSON${path === undefined ? '' : ` for ${path}`}: ${(error as Error).message}`,
      { path, cause: error },
    );
  }
  if (text === undefined) {
    throw new SerializationError(
      `cannot serialize ${typeof value} as JSON${path === undefined ? '' : ` for ${path}`}`,
      { path },
    );
  }
  return `${text}\n`;
}

/** One JSONL line (no indentation), with its newline. */
export function formatJsonLine(value: unknown, path?: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new SerializationError(
      `cannot serialize record as JSON${path === undefined ? '' : ` for ${path}`}: ${(error as Error).message}`,
      { path, cause: error },
    );
  }
  if (text === undefined) {
    throw new SerializationError(
      `cannot serialize ${typeof value} as a JSONL record${path === undefined ? '' : ` for ${path}`}`,
      { path },
    );
  }
  return `${text}\n`;
}
