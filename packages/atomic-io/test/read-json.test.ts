import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CorruptFileError, readJson, writeJsonAtomic, type RecoveryReport } from '../src/index.js';
import { freshDir, listNames } from './helpers/temp-dir.js';

const Counter = z.object({ version: z.string(), counters: z.record(z.string(), z.number().int()) });

describe('readJson', () => {
  it('reads a missing file as null', async () => {
    const dir = await freshDir();
    expect(await readJson(join(dir, 'nope.json'))).toBeNull();
  });

  it('reads what writeJsonAtomic wrote, and tolerates a byte-order mark', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.json');
    await writeJsonAtomic(file, { a: [1, 'two'] });
    expect(await readJson(file)).toEqual({ a: [1, 'two'] });
    await writeFile(file, '\ufeff{"a":1}');
    expect(await readJson(file)).toEqual({ a: 1 });
  });

  it('reports unparseable JSON with path, line and column', async () => {
    const dir = await freshDir();
    const file = join(dir, 'bad.json');
    await writeFile(file, '{\n  "a": 1,\n  "b": tru\n}\n');
    const error = await readJson(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptFileError);
    expect(error).toMatchObject({ code: 'VELLUM_CORRUPT_FILE', path: file, line: 3, column: 8 });
    expect((error as Error).message).toContain(`${file}:3:8`);
  });

  it('reports an empty file and a truncated file as corrupt', async () => {
    const dir = await freshDir();
    const file = join(dir, 'bad.json');
    await writeFile(file, '');
    await expect(readJson(file)).rejects.toMatchObject({ line: 1, column: 1 });
    await writeFile(file, '{"a": [1, 2');
    await expect(readJson(file)).rejects.toMatchObject({ code: 'VELLUM_CORRUPT_FILE', line: 1 });
  });

  it('validates with a Standard Schema (zod 4) and points at the bad field', async () => {
    const dir = await freshDir();
    const file = join(dir, 'counters.json');
    await writeFile(file, '{\n  "version": "1.0",\n  "counters": {\n    "jira": "seven"\n  }\n}\n');
    const error = (await readJson(file, { schema: Counter }).catch(
      (e: unknown) => e,
    )) as CorruptFileError;
    expect(error).toBeInstanceOf(CorruptFileError);
    expect(error.issues[0]?.path).toEqual(['counters', 'jira']);
    expect(error).toMatchObject({ line: 4, column: 13 });
    expect(error.message).toContain('counters.jira');
  });

  it('returns the parsed, typed value when the schema matches', async () => {
    const dir = await freshDir();
    const file = join(dir, 'counters.json');
    await writeJsonAtomic(file, { version: '1.0', counters: { jira: 7 } });
    const value = await readJson(file, { schema: Counter });
    expect(value?.counters.jira).toBe(7);
  });
});

describe('readJson with fallbackToBackup', () => {
  it('returns the .bak, restores it in place and quarantines the corrupt file', async () => {
    const dir = await freshDir();
    const file = join(dir, 'map.json');
    await writeJsonAtomic(file, { v: 1 });
    await writeJsonAtomic(file, { v: 2 }, { backup: true });
    await writeFile(file, '{"v": 2, "trunc');
    const reports: RecoveryReport[] = [];
    const value = await readJson(file, {
      fallbackToBackup: true,
      onRecover: (r) => reports.push(r),
    });
    expect(value).toEqual({ v: 1 });
    expect(reports).toHaveLength(1);
    const report = reports[0]!;
    expect(report.restoredFrom).toBe(`${file}.bak`);
    expect(report.error).toBeInstanceOf(CorruptFileError);
    expect(report.quarantinedTo).toMatch(/map\.json\.corrupt-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(await readFile(report.quarantinedTo, 'utf8')).toBe('{"v": 2, "trunc');
    expect(await readJson(file)).toEqual({ v: 1 });
    expect((await listNames(dir)).filter((n) => !n.includes('.corrupt-'))).toEqual([
      'map.json',
      'map.json.bak',
    ]);
  });

  it('falls back when the primary fails its schema', async () => {
    const dir = await freshDir();
    const file = join(dir, 'c.json');
    await writeJsonAtomic(file, { version: '1.0', counters: { jira: 1 } });
    await writeJsonAtomic(file, { version: '1.0', counters: { jira: 2 } }, { backup: true });
    await writeFile(file, '{"version": "1.0", "counters": {"jira": -0.5}}');
    const value = await readJson(file, {
      schema: Counter,
      fallbackToBackup: true,
      onRecover: () => undefined,
    });
    expect(value).toEqual({ version: '1.0', counters: { jira: 1 } });
  });

  it('emits a process warning when no onRecover is given: recovery is never silent', async () => {
    const dir = await freshDir();
    const file = join(dir, 'map.json');
    await writeJsonAtomic(file, { v: 1 });
    await writeJsonAtomic(file, { v: 2 }, { backup: true });
    await writeFile(file, 'garbage');
    const warnings: Error[] = [];
    const listener = (warning: Error): void => void warnings.push(warning);
    process.on('warning', listener);
    try {
      await readJson(file, { fallbackToBackup: true });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', listener);
    }
    expect(warnings.map((w) => (w as Error & { code?: string }).code)).toContain(
      'VELLUM_RECOVERED_FROM_BACKUP',
    );
  });

  it('throws and moves nothing when the backup is corrupt too', async () => {
    const dir = await freshDir();
    const file = join(dir, 'map.json');
    await writeFile(file, '{oops');
    await writeFile(`${file}.bak`, '[1,');
    const error = (await readJson(file, { fallbackToBackup: true }).catch(
      (e: unknown) => e,
    )) as CorruptFileError;
    expect(error).toBeInstanceOf(CorruptFileError);
    expect(error.message).toContain('backup is unusable too');
    expect(await readdir(dir)).toHaveLength(2);
    expect(await readFile(file, 'utf8')).toBe('{oops');
  });

  it('throws the original error when there is no backup', async () => {
    const dir = await freshDir();
    const file = join(dir, 'map.json');
    await writeFile(file, '{oops');
    await expect(readJson(file, { fallbackToBackup: true })).rejects.toMatchObject({
      path: file,
      line: 1,
      column: 2,
    });
    expect(await listNames(dir)).toEqual(['map.json']);
  });
});
