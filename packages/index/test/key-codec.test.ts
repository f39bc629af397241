import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IndexKey } from '../src/index.js';
import { keyCodec } from '../src/key-codec.js';
import { normalizeKey } from '../src/key-order.js';

describe("keyCodec('any')", () => {
  const codec = keyCodec('any');

  it('writes strings as they are, so string-keyed indexes have the specs shape', () => {
    expect(codec.encode('pending')).toBe('pending');
    expect(codec.encode('123')).toBe('123');
    expect(codec.decode('in_progress')).toBe('in_progress');
  });

  it('keeps 1, "1", true, "true", null and "null" apart', () => {
    const keys: IndexKey[] = [1, '1', true, 'true', null, 'null', false, -2.5, '\u0000x'];
    const names = keys.map((key) => codec.encode(key));
    expect(new Set(names).size).toBe(keys.length);
    expect(names.map((name) => codec.decode(name))).toEqual(keys);
    expect(codec.encode(1)).toBe('\u00001');
    expect(codec.encode(null)).toBe('\u0000null');
  });

  it('round-trips every key and refuses non-canonical names', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `\u0000${s}`),
          fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => normalizeKey(n)),
          fc.boolean(),
          fc.constant(null),
        ),
        (key) => {
          expect(codec.decode(codec.encode(key))).toEqual(key);
        },
      ),
    );
    for (const name of [
      '\u0000',
      '\u0000{}',
      '\u0000[1]',
      '\u00001.0',
      '\u0000"plain"',
      '\u0000NaN',
    ]) {
      expect(codec.decode(name)).toBeUndefined();
    }
  });
});

describe('typed codecs', () => {
  it("'number' writes plain decimal text, as spec 002's by_number does", () => {
    const codec = keyCodec('number');
    expect(codec.encode(123)).toBe('123');
    expect(codec.decode('123')).toBe(123);
    expect(codec.decode('-1.5')).toBe(-1.5);
    for (const name of ['', '007', '1.0', 'abc', 'Infinity', ' 1']) {
      expect(codec.decode(name)).toBeUndefined();
    }
    expect(codec.refuses('123')).toMatch(/number keys, got string/);
  });

  it("'boolean' and 'string'", () => {
    expect(keyCodec('boolean').decode('true')).toBe(true);
    expect(keyCodec('boolean').decode('yes')).toBeUndefined();
    expect(keyCodec('boolean').refuses(1)).toBeDefined();
    expect(keyCodec('string').decode('\u00001')).toBe('\u00001');
    expect(keyCodec('string').refuses(null)).toMatch(/got null/);
  });
});
