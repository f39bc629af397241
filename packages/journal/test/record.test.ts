import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SerializationError } from '@vellum/atomic-io';
import { encodeRecord, verifyLine } from '../src/index.js';

describe('journal record framing', () => {
  it('writes plain JSON with the CRC as last member', () => {
    const line = encodeRecord(
      { seq: 1, ts: '2026-01-01T00:00:00.000Z', op: 'put', id: 'a', data: { x: 1 } },
      'wal',
    );
    expect(line).toMatch(
      /^\{"seq":1,"ts":"2026-01-01T00:00:00.000Z","op":"put","id":"a","data":\{"x":1\},"crc":"[0-9a-f]{8}"\}$/,
    );
    expect(verifyLine(JSON.parse(line), line)).toBe(true);
  });

  it('detects any single changed byte', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (data, where, flip) => {
          const line = encodeRecord({ seq: 7, ts: 't', op: 'put', data }, 'wal');
          const bytes = Buffer.from(line);
          const at = where % bytes.length;
          bytes[at] = (bytes[at] ?? 0) ^ flip;
          const changed = bytes.toString('latin1');
          let value: unknown;
          try {
            value = JSON.parse(changed);
          } catch {
            return;
          }
          expect(verifyLine(value, changed)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects data that is not JSON', () => {
    expect(() => encodeRecord({ seq: 1, ts: 't', op: 'put', data: { n: 1n } }, 'wal')).toThrow(
      SerializationError,
    );
  });
});
