import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatJson, formatJsonLine } from '../src/index.js';

describe('formatJson', () => {
  it('round-trips any JSON value and is byte-stable under key order with sortKeys', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = formatJson(value, { sortKeys: true });
        expect(text.endsWith('\n')).toBe(true);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(formatJson(JSON.parse(text), { sortKeys: true })).toBe(text);
      }),
    );
  });

  it('honours toJSON (dates) when sorting keys', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    expect(formatJson({ b: at, a: 1 }, { sortKeys: true })).toBe(
      '{\n  "a": 1,\n  "b": "2026-01-02T03:04:05.000Z"\n}\n',
    );
  });

  it('writes one line per record', () => {
    expect(formatJsonLine({ a: 'x\ny' })).toBe('{"a":"x\\ny"}\n');
    expect(() => formatJsonLine(undefined)).toThrow(/cannot serialize/);
  });
});

describe('formatJson with a "__proto__" key', () => {
  it('keeps it as data when sorting keys', () => {
    const value: unknown = JSON.parse('{"b": 1, "__proto__": {"x": [1]}}');
    expect(formatJson(value, { sortKeys: true })).toBe(
      '{\n  "__proto__": {\n    "x": [\n      1\n    ]\n  },\n  "b": 1\n}\n',
    );
  });
});
