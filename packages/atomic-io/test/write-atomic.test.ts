import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DiskFullError,
  DurabilityError,
  SerializationError,
  WriteError,
  ensureDir,
  writeFileAtomic,
  writeJsonAtomic,
} from '../src/index.js';
import { faultyFs, recordingFs, type Fault } from './helpers/faulty-fs.js';
import { freshDir, listNames } from './helpers/temp-dir.js';

describe('writeJsonAtomic', () => {
  it('writes deterministic JSON: two-space indent, trailing newline', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.json');
    await writeJsonAtomic(file, { b: 1, a: [1, { d: 2, c: 3 }] });
    expect(await readFile(file, 'utf8')).toBe(
      '{\n  "b": 1,\n  "a": [\n    1,\n    {\n      "d": 2,\n      "c": 3\n    }\n  ]\n}\n',
    );
  });

  it('sorts keys at every depth with sortKeys', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.json');
    await writeJsonAtomic(file, { b: 1, a: { z: 1, y: [{ q: 1, p: 2 }] } }, { sortKeys: true });
    expect(await readFile(file, 'utf8')).toBe(
      '{\n  "a": {\n    "y": [\n      {\n        "p": 2,\n        "q": 1\n      }\n    ],\n    "z": 1\n  },\n  "b": 1\n}\n',
    );
  });

  it('replaces an existing file and leaves no temp file', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.json');
    await writeJsonAtomic(file, { v: 1 });
    await writeJsonAtomic(file, { v: 2 });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ v: 2 });
    expect(await listNames(dir)).toEqual(['a.json']);
  });

  it('keeps the previous version as .bak with backup: true', async () => {
    const dir = await freshDir();
    const file = join(dir, 'map.json');
    await writeJsonAtomic(file, { v: 1 }, { backup: true });
    expect(await listNames(dir)).toEqual(['map.json']);
    await writeJsonAtomic(file, { v: 2 }, { backup: true });
    await writeJsonAtomic(file, { v: 3 }, { backup: true });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ v: 3 });
    expect(JSON.parse(await readFile(`${file}.bak`, 'utf8'))).toEqual({ v: 2 });
    expect(await listNames(dir)).toEqual(['map.json', 'map.json.bak']);
  });

  it('keeps the file mode of an existing target', async () => {
    const dir = await freshDir();
    const file = join(dir, 'secret.json');
    await writeJsonAtomic(file, { v: 1 }, { mode: 0o600 });
    await writeJsonAtomic(file, { v: 2 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('rejects values that are not JSON and writes nothing', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.json');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [undefined, () => 1, { n: 1n }, cyclic]) {
      await expect(writeJsonAtomic(file, bad)).rejects.toBeInstanceOf(SerializationError);
    }
    await expect(writeJsonAtomic(file, { n: 1n }, { sortKeys: true })).rejects.toMatchObject({
      code: 'VELLUM_NOT_SERIALIZABLE',
    });
    expect(await listNames(dir)).toEqual([]);
  });

  it('fails with a typed error when the directory does not exist', async () => {
    const dir = await freshDir();
    await expect(writeJsonAtomic(join(dir, 'missing', 'a.json'), {})).rejects.toMatchObject({
      code: 'VELLUM_WRITE_FAILED',
      errno: 'ENOENT',
    });
  });

  it('writes bytes unchanged with writeFileAtomic', async () => {
    const dir = await freshDir();
    const file = join(dir, 'blob');
    const bytes = Buffer.from([0, 1, 2, 255, 10]);
    await writeFileAtomic(file, bytes);
    expect(await readFile(file)).toEqual(bytes);
  });

  it('runs many concurrent writers to one file without losing the file', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.json');
    await Promise.all(Array.from({ length: 50 }, (_, i) => writeJsonAtomic(file, { i })));
    const { i } = JSON.parse(await readFile(file, 'utf8')) as { i: number };
    expect(i).toBeGreaterThanOrEqual(0);
    expect(await listNames(dir)).toEqual(['a.json']);
  });
});

describe('writeFileAtomic under injected faults', () => {
  const faults: [Fault, new (...args: never[]) => Error][] = [
    [{ at: 'open', errno: 'EACCES' }, WriteError],
    [{ at: 'write', errno: 'ENOSPC' }, DiskFullError],
    [{ at: 'write', errno: 'EDQUOT' }, DiskFullError],
    [{ at: 'write', errno: 'EIO' }, WriteError],
    [{ at: 'sync', errno: 'EIO' }, WriteError],
    [{ at: 'close', errno: 'EIO' }, WriteError],
    [{ at: 'copyFile', errno: 'EIO' }, WriteError],
    [{ at: 'rename', errno: 'EXDEV' }, WriteError],
  ];

  for (const [fault, type] of faults) {
    it(`${fault.errno} at ${fault.at}: rejects with ${type.name}, target and .bak unchanged, no temp file`, async () => {
      const dir = await freshDir();
      const file = join(dir, 'a.json');
      await writeJsonAtomic(file, { v: 1 });
      await writeJsonAtomic(file, { v: 2 }, { backup: true });
      const before = await readFile(file);
      const backupBefore = await readFile(`${file}.bak`);
      const fs = faultyFs(fault);
      const error = await writeJsonAtomic(
        file,
        { v: 3, pad: 'x'.repeat(10_000) },
        { backup: true, fs },
      ).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(type);
      expect(error).toMatchObject({ path: file });
      expect(await readFile(file)).toEqual(before);
      expect(await readFile(`${file}.bak`)).toEqual(backupBefore);
      expect(await listNames(dir)).toEqual(['a.json', 'a.json.bak']);
    });
  }

  it('loops on short writes and still writes every byte', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.json');
    const value = { pad: 'y'.repeat(50_000) };
    for (let nth = 1; nth <= 3; nth++) {
      await writeJsonAtomic(file, value, { fs: faultyFs({ at: 'write', errno: 'short', nth }) });
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(value);
    }
  });

  it('keeps .bak a separate file, even when the publish after it fails (spec 003 copies over it)', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.json');
    await writeJsonAtomic(file, { v: 1 });
    await writeJsonAtomic(file, { v: 2 }, { backup: true });
    expect((await stat(`${file}.bak`)).ino).not.toBe((await stat(file)).ino);
    // The second rename: the one that publishes, after the .bak is in place.
    const fs = faultyFs({ at: 'rename', errno: 'EIO', nth: 2 });
    await expect(writeJsonAtomic(file, { v: 3 }, { backup: true, fs })).rejects.toThrow(WriteError);
    // A hard link would leave the .bak the live file: shutil.copy2(file, bak) raises SameFileError.
    const live = await stat(file);
    const backup = await stat(`${file}.bak`);
    expect(backup.ino).not.toBe(live.ino);
    expect(live.nlink).toBe(1);
    expect(JSON.parse(await readFile(`${file}.bak`, 'utf8'))).toEqual({ v: 2 });
    expect(fs.calls.filter((call) => call.startsWith('link '))).toEqual([]);
  });

  it('reports a failed directory fsync after the rename as DurabilityError', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.json');
    // The second sync of the write is the directory's.
    const error = await writeJsonAtomic(
      file,
      { v: 1 },
      { fs: faultyFs({ at: 'sync', errno: 'EIO', nth: 2 }) },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DurabilityError);
    expect(error).toMatchObject({ code: 'VELLUM_NOT_DURABLE' });
  });

  it('fsyncs the file before the rename and the directory after it', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.json');
    const fs = recordingFs();
    await writeJsonAtomic(file, { v: 1 }, { fs });
    const kinds = fs.calls.map((call) => call.split(' ')[0]);
    expect(kinds).toEqual(['open', 'write', 'sync', 'close', 'rename', 'open', 'sync', 'close']);
    expect(fs.calls[5]).toBe(`open ${dir}`);
  });

  it('does not publish when the lock guard says the lock was lost', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.json');
    await writeJsonAtomic(file, { v: 1 });
    const lost = Object.assign(new Error('lost'), { code: 'VELLUM_LOCK_COMPROMISED' });
    const lock = {
      assertHeld: () => Promise.reject(lost),
    };
    await expect(writeJsonAtomic(file, { v: 2 }, { lock })).rejects.toMatchObject({ cause: lost });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ v: 1 });
    expect(await listNames(dir)).toEqual(['a.json']);
  });
});

describe('ensureDir', () => {
  it('creates missing levels and reports them', async () => {
    const dir = await freshDir();
    const created = await ensureDir(join(dir, 'a', 'b', 'c'));
    expect(created).toEqual([join(dir, 'a'), join(dir, 'a', 'b'), join(dir, 'a', 'b', 'c')]);
    expect(await ensureDir(join(dir, 'a', 'b'))).toEqual([]);
    await writeFile(join(dir, 'a', 'b', 'c', 'x'), '');
  });
});
