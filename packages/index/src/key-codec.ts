import { keyClass, keyProblem, type IndexKey } from './key-order.js';

/**
 * Which keys an index holds, and so how they are written as JSON property names.
 *
 * - `'any'` (default): every key type. Strings are written as they are, so a
 *   string-keyed index is exactly the specs' shape (`{"pending": [...]}`).
 *   Other keys are written as U+0000 followed by their JSON text (`"\u00001"`
 *   for the number 1, `"\u0000null"`), so `1`, `"1"`, `true` and `"true"`
 *   never collide. A string that itself starts with U+0000 is written the same
 *   way (`"\u0000\"\\u0000…\""`), which keeps the encoding reversible.
 * - `'string'`, `'number'`, `'boolean'`: only that type; keys are written as
 *   plain text (`"123"`, `"true"`), like spec 002's `by_number` index. The
 *   declared type tells the reader how to decode them.
 */
export type KeyType = 'any' | 'string' | 'number' | 'boolean';

/** Starts a typed key in an `'any'` index; no real-world string key starts with NUL. */
const TYPED = '\u0000';

export interface KeyCodec {
  /** Why this key type refuses `key`, or `undefined`. */
  refuses(key: IndexKey): string | undefined;
  encode(key: IndexKey): string;
  /** The key a property name stands for, or `undefined` when it is not a canonical encoding. */
  decode(name: string): IndexKey | undefined;
}

function decodeTyped(name: string): IndexKey | undefined {
  const body = name.slice(TYPED.length);
  // Numbers are the common typed key: skip JSON.parse for them.
  const number = Number(body);
  if (Number.isFinite(number) && String(number) === body) return number;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (keyProblem(value) !== undefined || Array.isArray(value)) return undefined;
  const key = value as IndexKey;
  // Only the canonical spelling decodes, so each key has exactly one name.
  return encodeAny(key) === name ? key : undefined;
}

function encodeAny(key: IndexKey): string {
  return typeof key === 'string' && !key.startsWith(TYPED) ? key : TYPED + JSON.stringify(key);
}

function only(type: 'string' | 'number' | 'boolean') {
  return (key: IndexKey): string | undefined =>
    keyClass(key) === type ? undefined : `this index holds ${type} keys, got ${keyClass(key)}`;
}

const CODECS: Readonly<Record<KeyType, KeyCodec>> = {
  any: {
    refuses: () => undefined,
    encode: encodeAny,
    decode: (name) => (name.startsWith(TYPED) ? decodeTyped(name) : name),
  },
  string: { refuses: only('string'), encode: (key) => key as string, decode: (name) => name },
  number: {
    refuses: only('number'),
    encode: (key) => String(key),
    decode: (name) => {
      const value = Number(name);
      return Number.isFinite(value) && String(value) === name ? value : undefined;
    },
  },
  boolean: {
    refuses: only('boolean'),
    encode: (key) => String(key),
    decode: (name) => (name === 'true' ? true : name === 'false' ? false : undefined),
  },
};

export function keyCodec(type: KeyType): KeyCodec {
  return CODECS[type];
}
