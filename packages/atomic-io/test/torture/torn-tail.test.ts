import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repairTail, scanRecords } from '../../src/index.js';
import {
  TempDirs,
  assertEveryCut,
  assertFlipsDetected,
  checksummedRows,
  encodeRows,
  verifyRow,
} from '../helpers/processes.js';

const temp = new TempDirs();
afterEach(async () => {
  await temp.cleanup();
});

describe('torture: torn tails and flipped bits', () => {
  it(
    'a 40-record file cut at every byte offset',
    async () => {
      const records = checksummedRows(40);
      const { bytes } = encodeRows(records);
      const dir = await temp.make('vellum-torture-');
      const torn = await assertEveryCut(dir, records, 0);
      // Not torn: the empty file, and for each record its line end and the byte before its newline.
      expect(torn).toBe(bytes.length + 1 - (1 + 2 * records.length));
    },
    30 * 60_000,
  );

  it('a newline flipped before the last record makes both lines a torn tail (the documented rule)', async () => {
    const records = checksummedRows(5);
    const { bytes, ends } = encodeRows(records);
    const dir = await temp.make('vellum-torture-');
    const path = join(dir, 'log.jsonl');
    const newline = (ends[3] as number) - 1;
    const flipped = Buffer.from(bytes);
    flipped[newline] = 0x0b;
    await writeFile(path, flipped);
    const scan = await scanRecords(path, { verify: verifyRow });
    expect(scan.records).toBe(3);
    expect(scan.tail).toMatchObject({ line: 4, offset: ends[2], reason: 'invalid-line' });
    // repairTail cuts both lines, and keeps their bytes in the quarantine file.
    const repair = await repairTail(path, { verify: verifyRow });
    expect(await readFile(repair?.quarantinedTo ?? '')).toEqual(flipped.subarray(ends[2]));
  });

  it(
    'every single-bit flip of every byte of every record but the last is corruption at that line',
    async () => {
      const records = checksummedRows(12);
      const masks = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80];
      const dir = await temp.make('vellum-torture-');
      let flips = 0;
      // A bad last record is a torn tail, not corruption: every record that has a good one after it.
      for (let index = 0; index < records.length - 1; index++) {
        flips += await assertFlipsDetected(dir, records, index, masks);
      }
      // Every byte but the newline of the last-but-one record (see assertFlipsDetected).
      const { ends } = encodeRows(records);
      expect(flips).toBe(((ends[records.length - 2] as number) - 1) * masks.length);
    },
    30 * 60_000,
  );
});
