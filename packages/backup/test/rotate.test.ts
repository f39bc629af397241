import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BackupUsageError,
  createBackup,
  isoWeek,
  listBackups,
  rotateBackups,
} from '../src/index.js';
import { freshDir } from './helpers.js';

/** Backups taken at these UTC times (fake clock), of an empty store: only the dates matter. */
const TIMES = [
  '2026-11-02T09:00:00Z', // Monday, ISO week 45
  '2026-11-02T18:00:00Z',
  '2026-11-05T10:00:00Z', // Thursday, week 45
  '2026-11-09T08:00:00Z', // Monday, week 46
  '2026-11-12T08:00:00Z',
  '2026-11-12T20:00:00Z',
  '2026-11-15T12:00:00Z', // Sunday, week 46
  '2026-11-16T07:00:00Z', // Monday, week 47
  '2026-11-16T23:00:00Z',
  '2026-11-17T06:00:00Z', // Tuesday, week 47
];

async function storeWithBackups(times: readonly string[] = TIMES): Promise<string> {
  const root = await freshDir();
  for (const time of times)
    await createBackup({ root, collections: [], now: () => new Date(time) });
  return root;
}

describe('rotateBackups', () => {
  it('numbers weeks as ISO 8601 does, in UTC', () => {
    expect(isoWeek(new Date('2026-11-02T09:00:00Z'))).toBe('2026-W45');
    expect(isoWeek(new Date('2026-11-15T23:59:59Z'))).toBe('2026-W46');
    expect(isoWeek(new Date('2026-11-16T00:00:00Z'))).toBe('2026-W47');
    // The days of a week that straddles the new year belong to the year of its Thursday.
    expect(isoWeek(new Date('2027-01-01T12:00:00Z'))).toBe('2026-W53');
    expect(isoWeek(new Date('2024-12-30T12:00:00Z'))).toBe('2025-W01');
  });

  it('keeps exactly the newest backup of each of the last N days and M weeks', async () => {
    const root = await storeWithBackups();
    const result = await rotateBackups({ root }, { daily: 3, weekly: 3 });
    const kept = [
      '20261105_100000', // week 45
      '20261115_120000', // day 15, and week 46
      '20261116_230000', // day 16
      '20261117_060000', // day 17, and week 47
    ];
    expect(result.kept).toEqual(kept);
    expect(result.removed).toEqual([
      '20261102_090000',
      '20261102_180000',
      '20261109_080000',
      '20261112_080000',
      '20261112_200000',
      '20261116_070000',
    ]);
    expect(result.skipped).toEqual([]);
    expect((await readdir(join(root, 'checkpoints'))).sort()).toEqual(kept);
    // Rotating again with the same policy changes nothing.
    expect(await rotateBackups({ root }, { daily: 3, weekly: 3 })).toEqual({
      kept,
      removed: [],
      skipped: [],
    });
  });

  it.each([
    [1, 0, ['20261117_060000']],
    [0, 2, ['20261115_120000', '20261117_060000']],
    [2, 1, ['20261116_230000', '20261117_060000']],
    [
      10,
      0,
      [
        '20261102_180000',
        '20261105_100000',
        '20261109_080000',
        '20261112_200000',
        '20261115_120000',
        '20261116_230000',
        '20261117_060000',
      ],
    ],
  ])('daily %i, weekly %i keeps %j', async (daily, weekly, kept) => {
    const root = await storeWithBackups();
    const result = await rotateBackups({ root }, { daily, weekly });
    expect(result.kept).toEqual(kept);
    expect((await listBackups({ root })).map((b) => b.id)).toEqual(kept);
  });

  it('removes nothing on a dry run', async () => {
    const root = await storeWithBackups(TIMES.slice(0, 4));
    const result = await rotateBackups({ root }, { daily: 1, weekly: 0, dryRun: true });
    expect(result.kept).toEqual(['20261109_080000']);
    expect(result.removed).toHaveLength(3);
    expect(await readdir(join(root, 'checkpoints'))).toHaveLength(4);
  });

  it('neither counts nor removes a backup with an unusable manifest', async () => {
    const root = await storeWithBackups(TIMES.slice(0, 3));
    await mkdir(join(root, 'checkpoints', '20261118_000000'));
    const result = await rotateBackups({ root }, { daily: 1, weekly: 0 });
    expect(result.kept).toEqual(['20261105_100000']);
    expect(result.skipped).toEqual([{ id: '20261118_000000', problem: 'no manifest.json' }]);
    expect((await readdir(join(root, 'checkpoints'))).sort()).toEqual([
      '20261105_100000',
      '20261118_000000',
    ]);
  });

  it('refuses a policy that would keep nothing', async () => {
    const root = await storeWithBackups(TIMES.slice(0, 1));
    await expect(rotateBackups({ root }, { daily: 0, weekly: 0 })).rejects.toBeInstanceOf(
      BackupUsageError,
    );
    await expect(rotateBackups({ root }, { daily: 1.5, weekly: 0 })).rejects.toBeInstanceOf(
      BackupUsageError,
    );
    expect(await readdir(join(root, 'checkpoints'))).toHaveLength(1);
  });
});
