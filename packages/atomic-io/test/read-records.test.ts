import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CorruptFileError,
  TornTailError,
  readRecords,
  repairTail,
  scanRecords,
  type JsonlRecord,
  type TornTail,
} from '../src/index.js';
import { freshDir, listNames } from './helpers/temp-dir.js';

async function collect(
  path: string,
  onTornTail?: (tail: TornTail) => void,
): Promise<JsonlRecord[]> {
  const out: JsonlRecord[] = [];
  for await (const record of readRecords(path, onTornTail === undefined ? {} : { onTornTail }))
    out.push(record);
  return out;
}

describe('readRecords', () => {
  it('yields a missing file as no records', async () => {
    const dir = await freshDir();
    expect(await collect(join(dir, 'none.jsonl'))).toEqual([]);
  });

  it('yields values with line numbers and byte offsets, skipping blank lines', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.jsonl');
    await writeFile(file, '{"a":"é"}\n\n{"b":2}\n');
    const records = await collect(file);
    expect(records).toEqual([
      { value: { a: 'é' }, line: 1, offset: 0, end: 11 },
      { value: { b: 2 }, line: 3, offset: 12, end: 20 },
    ]);
  });

  it('streams a file larger than its read buffer', async () => {
    const dir = await freshDir();
    const file = join(dir, 'big.jsonl');
    const lines = Array.from({ length: 5000 }, (_, i) =>
      JSON.stringify({ i, pad: 'p'.repeat(i % 97) }),
    );
    await writeFile(file, lines.join('\n') + '\n');
    const records = await collect(file);
    expect(records).toHaveLength(5000);
    expect(records[4999]?.value).toEqual({ i: 4999, pad: 'p'.repeat(4999 % 97) });
  });

  it('reads lines of many megabytes', async () => {
    const dir = await freshDir();
    const file = join(dir, 'long.jsonl');
    const long = { pad: 'L'.repeat(8 * 1024 * 1024) };
    await writeFile(file, `${JSON.stringify(long)}\n{"after":1}\n${JSON.stringify(long)}`);
    const records = await collect(file);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3]);
    expect(records[1]).toMatchObject({ value: { after: 1 }, offset: records[0]!.end });
    expect(records[2]?.value).toEqual(long);
  });

  it('reads from a byte offset', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.jsonl');
    await writeFile(file, '{"a":1}\n{"a":2}\n{"a":3}\n');
    const values: unknown[] = [];
    for await (const record of readRecords(file, { startOffset: 8, startLine: 2 }))
      values.push([record.line, record.value]);
    expect(values).toEqual([
      [2, { a: 2 }],
      [3, { a: 3 }],
    ]);
  });

  it('accepts a last line without its newline (other tools omit it)', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.jsonl');
    await writeFile(file, '{"a":1}\n{"a":2}');
    expect((await collect(file)).map((r) => r.value)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('reports an incomplete last line as a torn tail, after yielding every good record', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.jsonl');
    await writeFile(file, '{"a":1}\n{"a":2}\n{"a":');
    const seen: unknown[] = [];
    const error = await (async () => {
      for await (const record of readRecords(file)) seen.push(record.value);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([{ a: 1 }, { a: 2 }]);
    expect(error).toBeInstanceOf(TornTailError);
    expect((error as TornTailError).tail).toEqual({
      line: 3,
      offset: 16,
      bytes: 5,
      reason: 'incomplete-line',
    });
  });

  it('treats bad lines with no good line after them as the tail', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.jsonl');
    await writeFile(file, '{"a":1}\n\u0000\u0000\u0000\n{"a"\n');
    let tail: TornTail | undefined;
    expect(await collect(file, (t) => (tail = t))).toHaveLength(1);
    expect(tail).toEqual({ line: 2, offset: 8, bytes: 9, reason: 'invalid-line' });
  });

  it('reports a bad line followed by good ones as corruption, with its line number', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.jsonl');
    await writeFile(file, '{"a":1}\n{"a":2}\n{"a"X3}\n{"a":4}\n');
    const error = await collect(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptFileError);
    expect(error).toMatchObject({
      code: 'VELLUM_CORRUPT_FILE',
      path: file,
      line: 3,
      column: 5,
      offset: 16,
    });
  });

  it('applies a verify hook (a checksum) like a parse check', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.jsonl');
    await writeFile(file, '{"v":1,"ok":true}\n{"v":2,"ok":false}\n{"v":3,"ok":true}\n');
    const verify = (value: unknown): boolean => (value as { ok: boolean }).ok;
    const run = async (): Promise<void> => {
      for await (const _ of readRecords(file, { verify })) void _;
    };
    await expect(run()).rejects.toMatchObject({ line: 2 });
  });
});

describe('repairTail', () => {
  it('cuts the torn tail and keeps the cut bytes in a quarantine file', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.jsonl');
    await writeFile(file, '{"a":1}\n{"a":2}\n{"a":3');
    const repair = await repairTail(file);
    expect(repair).toMatchObject({
      path: file,
      records: 2,
      tail: { line: 3, offset: 16, bytes: 6 },
    });
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    expect(await readFile(repair!.quarantinedTo, 'utf8')).toBe('{"a":3');
    expect(repair!.quarantinedTo).toMatch(/a\.jsonl\.torn-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(await scanRecords(file)).toEqual({ records: 2, tail: undefined });
  });

  it('does nothing on a clean file', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.jsonl');
    await writeFile(file, '{"a":1}\n');
    expect(await repairTail(file)).toBeNull();
    expect(await listNames(dir)).toEqual(['a.jsonl']);
  });

  it('refuses to cut corruption in the middle and leaves the file as it was', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.jsonl');
    const content = '{"a":1}\nnot json\n{"a":3}\n';
    await writeFile(file, content);
    await expect(repairTail(file)).rejects.toBeInstanceOf(CorruptFileError);
    expect(await readFile(file, 'utf8')).toBe(content);
    expect(await listNames(dir)).toEqual(['a.jsonl']);
  });
});
