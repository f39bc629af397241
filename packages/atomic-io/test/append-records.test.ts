import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Appender,
  DiskFullError,
  SerializationError,
  WriteError,
  appendRecords,
  readRecords,
} from '../src/index.js';
import { faultyFs, recordingFs } from './helpers/faulty-fs.js';
import { freshDir } from './helpers/temp-dir.js';

async function values(path: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const record of readRecords(path)) out.push(record.value);
  return out;
}

describe('appendRecords', () => {
  it('creates the file and appends plain JSON lines', async () => {
    const dir = await freshDir();
    const file = join(dir, 'events.jsonl');
    const first = await appendRecords(file, [{ a: 1 }, { b: 'x\ny' }]);
    const second = await appendRecords(file, [{ c: 3 }]);
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n{"b":"x\\ny"}\n{"c":3}\n');
    expect(first).toEqual({ offset: 0, bytes: 21 });
    expect(second).toEqual({ offset: 21, bytes: 8 });
  });

  it('keeps every record of 1,000 concurrent callers, each batch contiguous', async () => {
    const dir = await freshDir();
    const file = join(dir, 'events.jsonl');
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        appendRecords(file, [
          { i, part: 0 },
          { i, part: 1 },
        ]),
      ),
    );
    const records = (await values(file)) as { i: number; part: number }[];
    expect(records).toHaveLength(2000);
    for (let k = 0; k < records.length; k += 2) {
      expect(records[k]).toEqual({ i: records[k]!.i, part: 0 });
      expect(records[k + 1]).toEqual({ i: records[k]!.i, part: 1 });
    }
    expect(new Set(records.map((r) => r.i)).size).toBe(1000);
  });

  it('shares one fdatasync among concurrent callers (group commit)', async () => {
    const dir = await freshDir();
    const fs = recordingFs();
    const appender = new Appender(join(dir, 'events.jsonl'), { fs });
    await Promise.all(Array.from({ length: 16 }, (_, i) => appender.append([{ i }])));
    await appender.close();
    const syncs = fs.calls.filter((call) => call.startsWith('datasync')).length;
    expect(syncs).toBeGreaterThanOrEqual(1);
    expect(syncs).toBeLessThanOrEqual(2);
    expect(await values(join(dir, 'events.jsonl'))).toHaveLength(16);
  });

  it('fsyncs the directory when it creates the file, and only then', async () => {
    const dir = await freshDir();
    const file = join(dir, 'events.jsonl');
    const fs = recordingFs();
    const appender = new Appender(file, { fs });
    await appender.append([{ a: 1 }]);
    await appender.close();
    const reopened = new Appender(file, { fs });
    await reopened.append([{ a: 2 }]);
    await reopened.close();
    expect(fs.calls.filter((call) => call === `open ${dir}`)).toHaveLength(1);
  });

  it('adds the missing newline after a last line written by another tool', async () => {
    const dir = await freshDir();
    const file = join(dir, 'graph.jsonl');
    await writeFile(file, '{"type":"entity"}\n{"type":"relation"}');
    await appendRecords(file, [{ type: 'entity', n: 2 }]);
    expect(await values(file)).toEqual([
      { type: 'entity' },
      { type: 'relation' },
      { type: 'entity', n: 2 },
    ]);
  });

  it('rejects records that are not JSON and writes nothing', async () => {
    const dir = await freshDir();
    const file = join(dir, 'events.jsonl');
    await appendRecords(file, [{ ok: 1 }]);
    await expect(appendRecords(file, [{ ok: 2 }, { n: 1n }])).rejects.toThrow(SerializationError);
    expect(await values(file)).toEqual([{ ok: 1 }]);
  });

  it('cuts a failed batch back out so the next append starts clean', async () => {
    const dir = await freshDir();
    const file = join(dir, 'events.jsonl');
    await appendRecords(file, [{ n: 1 }]);
    const scenarios = [
      {
        fs: faultyFs({ at: 'write', errno: 'short' }, { at: 'write', errno: 'ENOSPC', nth: 2 }),
        type: DiskFullError,
      },
      { fs: faultyFs({ at: 'datasync', errno: 'EIO' }), type: WriteError },
      { fs: faultyFs({ at: 'write', errno: 'EIO' }), type: WriteError },
    ];
    for (const { fs, type } of scenarios) {
      const appender = new Appender(file, { fs });
      await expect(appender.append([{ n: 2, pad: 'z'.repeat(5000) }])).rejects.toBeInstanceOf(type);
      await appender.close();
      expect(await readFile(file, 'utf8')).toBe('{"n":1}\n');
    }
    await appendRecords(file, [{ n: 5 }]);
    expect(await values(file)).toEqual([{ n: 1 }, { n: 5 }]);
  });

  it('appends pre-serialized lines and refuses a line with a newline', async () => {
    const dir = await freshDir();
    const file = join(dir, 'events.jsonl');
    const appender = new Appender(file);
    await appender.appendLines(['{"a":1}', '{"b":2}']);
    await expect(appender.appendLines(['{"c":\n3}'])).rejects.toBeInstanceOf(SerializationError);
    await appender.close();
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
  });

  it('loops on short writes', async () => {
    const dir = await freshDir();
    const file = join(dir, 'events.jsonl');
    const appender = new Appender(file, { fs: faultyFs({ at: 'write', errno: 'short', nth: 1 }) });
    const records = Array.from({ length: 50 }, (_, i) => ({ i, pad: 'q'.repeat(100) }));
    await appender.append(records);
    await appender.close();
    expect(await values(file)).toEqual(records);
  });
});
