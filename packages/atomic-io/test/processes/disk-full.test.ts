import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TempDirs,
  childResult,
  diskFullModes,
  killLeftoverChildren,
  runDiskFullFuzz,
  startOnFullDisk,
} from '../helpers/processes.js';

const temp = new TempDirs();
afterEach(async () => {
  await killLeftoverChildren();
  await temp.cleanup();
});

interface ErrorInfo {
  name: string;
  code: string;
  errno: string;
  message: string;
}

const SMALL_TEXT = `${JSON.stringify({ small: true, items: [1, 2, 3] }, null, 2)}\n`;
const modes = diskFullModes();

describe.each(modes)('disk full (%s)', (mode) => {
  const errno = mode === 'tmpfs' ? 'ENOSPC' : 'EFBIG';

  it(`writeJsonAtomic of ~200 KB rejects with VELLUM_DISK_FULL (${errno}), target byte-identical, no temp file`, async () => {
    const dir = await temp.make('vellum-full-');
    const outcome = await childResult<{
      error: ErrorInfo | null;
      targetUnchanged: boolean;
      targetAfter: string;
      tempFiles: string[];
      smallWriteAfter: unknown;
      fileSizeLimit: string;
    }>(startOnFullDisk(mode, dir, 'disk-full.mjs', ['vellum-write', dir]));
    expect(outcome.error).toMatchObject({ name: 'DiskFullError', code: 'VELLUM_DISK_FULL', errno });
    expect(outcome.targetUnchanged).toBe(true);
    expect(outcome.targetAfter).toBe(SMALL_TEXT);
    expect(outcome.tempFiles).toEqual([]);
    expect(outcome.smallWriteAfter).toEqual({ small: true, items: [1, 2, 3], again: true });
    expect(outcome.fileSizeLimit).toBe(mode === 'tmpfs' ? 'unlimited' : '65536');
  });

  it(`appendRecords of ~200 KB rejects with VELLUM_DISK_FULL and leaves exactly the previous records`, async () => {
    const dir = await temp.make('vellum-full-');
    const outcome = await childResult<{
      error: ErrorInfo | null;
      fileUnchanged: boolean;
      endsWithNewline: boolean;
      records: unknown[];
      tail: unknown;
      nextAppend: unknown;
    }>(startOnFullDisk(mode, dir, 'disk-full.mjs', ['append', dir]));
    const previous = [1, 2, 3].map((seq) => ({ seq, text: `record ${seq}` }));
    expect(outcome.error).toMatchObject({ name: 'DiskFullError', code: 'VELLUM_DISK_FULL', errno });
    expect(outcome.fileUnchanged).toBe(true);
    expect(outcome.endsWithNewline).toBe(true);
    expect(outcome.records).toEqual(previous);
    expect(outcome.tail).toBeNull();
    expect(outcome.nextAppend).toEqual([...previous, { seq: 4, text: 'after the failure' }]);
  });

  it('300 random writes and appends: each succeeds completely or fails with VELLUM_DISK_FULL changing nothing', async () => {
    const dir = await temp.make('vellum-full-');
    const seed = Math.floor(Math.random() * 2 ** 31);
    const outcome = await runDiskFullFuzz(mode, dir, 300, seed);
    expect(outcome.violations, `seed ${seed}`).toEqual([]);
    // Both outcomes happened, so both were checked.
    const { writeOk, appendOk, writeFull, appendFull } = outcome.counts;
    expect(Math.min(writeOk, appendOk), `successes, seed ${seed}`).toBeGreaterThan(5);
    expect(writeFull + appendFull, `failures, seed ${seed}`).toBeGreaterThan(10);
  });
});

describe('write-file-atomic 7.0.1 on the same full disk, for comparison', () => {
  it.runIf(modes.includes('tmpfs'))(
    'tmpfs (ENOSPC): reports success and leaves a truncated, unparseable target',
    async () => {
      const dir = await temp.make('vellum-full-');
      const outcome = await childResult<{
        reportedSuccess: boolean;
        error: ErrorInfo | null;
        intendedBytes: number;
        targetBytes: number;
        targetIsSmall: boolean;
        targetIsPrefixOfIntended: boolean;
        targetParses: boolean;
        leftovers: string[];
      }>(startOnFullDisk('tmpfs', dir, 'disk-full.mjs', ['wfa', dir]));
      // The measured behaviour (RELIABILITY.md): one fs.write, its short count ignored.
      expect(outcome.reportedSuccess).toBe(true);
      expect(outcome.error).toBeNull();
      expect(outcome.targetIsSmall).toBe(false);
      expect(outcome.targetBytes).toBeLessThan(outcome.intendedBytes);
      expect(outcome.targetBytes).toBeGreaterThan(0);
      expect(outcome.targetIsPrefixOfIntended).toBe(true);
      expect(outcome.targetParses).toBe(false);
      expect(outcome.leftovers).toEqual([]);
    },
  );

  it('ulimit -f (EFBIG): its signal-exit handler turns SIGXFSZ into a kill; the target survives', async () => {
    const dir = await temp.make('vellum-full-');
    const child = startOnFullDisk('ulimit', dir, 'disk-full.mjs', ['wfa', dir]);
    const exit = await child.exited;
    // Node ignores SIGXFSZ (EFBIG comes back as an error), but once signal-exit
    // has registered its handler, the handler re-raises the signal: the process dies.
    expect(exit.signal).toBe('SIGXFSZ');
    expect(child.lastEvent('result')).toBeUndefined();
    expect(await readFile(join(dir, 'target.json'), 'utf8')).toBe(SMALL_TEXT);
    // Its exit handler removed the temp file on the way out.
    expect(await readdir(dir)).toEqual(['target.json']);
  });
});
