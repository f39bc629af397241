import { VellumError, type VellumErrorOptions } from '@vellum/atomic-io';
import { INDEX_ERROR_CODES, type IndexErrorCode } from './codes.js';
import type { IndexKey } from './key-order.js';

/** The errors of `@vellum/index`: the category comes from `INDEX_ERROR_CODES`. */
export class IndexError extends VellumError {
  constructor(code: IndexErrorCode, message: string, options: VellumErrorOptions = {}) {
    super(code, INDEX_ERROR_CODES[code], message, options);
  }
}

/** Shows a key as it reads in code, so `1` and `"1"` stay apart in messages. */
function describeKey(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : String(key);
}

/**
 * A unique index already maps `key` to another document (`VELLUM_UNIQUE_VIOLATION`).
 * The index is unchanged.
 */
export class UniqueConstraintError extends IndexError {
  readonly index: string;
  readonly key: IndexKey;
  /** The document that was being written. */
  readonly id: string;
  /** The document that already holds the key. */
  readonly existingId: string;
  constructor(index: string, key: IndexKey, id: string, existingId: string) {
    super(
      'VELLUM_UNIQUE_VIOLATION',
      `index "${index}": key ${describeKey(key)} of ${JSON.stringify(id)} is already taken by ${JSON.stringify(existingId)}`,
    );
    this.index = index;
    this.key = key;
    this.id = id;
    this.existingId = existingId;
  }
}

/**
 * A field extractor returned something that cannot be a key: an object, NaN,
 * an infinite number, a nested array, or a type the index's `keyType` excludes
 * (`VELLUM_INVALID_KEY`). The index is unchanged.
 */
export class InvalidKeyError extends IndexError {
  readonly index: string;
  readonly id: string | undefined;
  readonly value: unknown;
  readonly reason: string;
  constructor(index: string, id: string | undefined, value: unknown, reason: string) {
    const owner = id === undefined ? '' : ` of ${JSON.stringify(id)}`;
    super('VELLUM_INVALID_KEY', `index "${index}": invalid key${owner}: ${reason}`);
    this.index = index;
    this.id = id;
    this.value = value;
    this.reason = reason;
  }
}

/** A query that cannot be answered as asked, e.g. range bounds of two types (`VELLUM_INVALID_QUERY`). */
export class InvalidQueryError extends IndexError {
  readonly index: string;
  constructor(index: string, message: string) {
    super('VELLUM_INVALID_QUERY', `index "${index}": ${message}`);
    this.index = index;
  }
}

/**
 * A persisted full-text index was built with other fields, weights or
 * tokenizer settings than the ones it is opened with (`VELLUM_INDEX_MISMATCH`):
 * its terms cannot be trusted, rebuild it from the documents.
 */
export class IndexMismatchError extends IndexError {
  readonly expected: string;
  readonly found: string;
  constructor(path: string | undefined, expected: string, found: string) {
    super(
      'VELLUM_INDEX_MISMATCH',
      `${path ?? 'full-text index'}: built with settings ${found}, opened with ${expected}; rebuild it`,
      { path },
    );
    this.expected = expected;
    this.found = found;
  }
}
