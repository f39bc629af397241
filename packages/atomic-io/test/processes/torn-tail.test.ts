import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptFileError, readRecords, repairTail } from '../../src/index.js';
import {
  TempDirs,
  assertEveryCut,
  assertFlipsDetected,
  checksummedRows,
  encodeRows,
} from '../helpers/processes.js';

const temp = new TempDirs();
afterEach(async () => {
  await temp.cleanup();
});

describe('a JSONL file cut at every byte offset of its last three records', () => {
  const records = checksummedRows(8);
  const { bytes, ends } = encodeRows(records);
  const from = records.length - 3;
  const cuts = bytes.length - (ends[from - 1] as number) + 1;

  it(`reports the torn tail when the cut is mid-line, and repairTail keeps exactly the complete records (${cuts} cuts)`, async () => {
    const dir = await temp.make('vellum-torn-');
    const torn = await assertEveryCut(dir, records, from);
    // Not torn: the first cut (a line end), and for each of the three records
    // the cut at its line end and the one just before its newline.
    expect(torn).toBe(cuts - (1 + 2 * 3));
  });

  it('a last line whose JSON is complete but whose newline is missing counts as complete', async () => {
    const dir = await temp.make('vellum-torn-');
    const path = join(dir, 'log.jsonl');
    const cut = bytes.subarray(0, bytes.length - 1);
    await writeFile(path, cut);
    const values: unknown[] = [];
    for await (const record of readRecords(path)) values.push(record.value);
    expect(values).toEqual(records);
    expect(await repairTail(path)).toBeNull();
    expect(await readFile(path)).toEqual(cut);
  });
});

describe('a single flipped byte inside a middle record', () => {
  const records = checksummedRows(7);
  const middle = 3; // 0-based: line 4
  const { bytes, ends } = encodeRows(records);
  const start = ends[middle - 1] as number;
  const end = ends[middle] as number; // just past its newline

  it(`fails with CorruptFileError naming line ${middle + 1}; repairTail throws and leaves the file untouched (${(end - start) * 3} flips)`, async () => {
    const dir = await temp.make('vellum-flip-');
    const flips = await assertFlipsDetected(dir, records, middle, [0x01, 0x20, 0x80]);
    expect(flips).toBe((end - start) * 3);
  });

  it('without a checksum, a flip that breaks the JSON is still corruption at that line', async () => {
    const dir = await temp.make('vellum-flip-');
    const path = join(dir, 'log.jsonl');
    const line = bytes.subarray(start, end).toString('latin1');
    // The opening brace, a quote, a colon and the newline of the middle record.
    const positions = [0, line.indexOf('"'), line.indexOf(':'), end - start - 1].map(
      (offset) => start + offset,
    );
    for (const position of positions) {
      const flipped = Buffer.from(bytes);
      flipped[position] = (flipped[position] as number) ^ 0x20;
      await writeFile(path, flipped);
      const values: unknown[] = [];
      const error: unknown = await (async () => {
        for await (const record of readRecords(path)) values.push(record.value);
      })().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CorruptFileError);
      expect((error as CorruptFileError).line).toBe(middle + 1);
      expect(values).toEqual(records.slice(0, middle));
      await expect(repairTail(path)).rejects.toBeInstanceOf(CorruptFileError);
      expect(await readFile(path)).toEqual(flipped);
    }
  });
});
