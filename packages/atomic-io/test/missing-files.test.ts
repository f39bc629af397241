import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  lstatOrNull,
  openOrNull,
  readFileOrNull,
  readdirOrEmpty,
  statOrNull,
  unlinkIfExists,
} from '../src/index.js';
import { freshDir } from './helpers/temp-dir.js';

/** A path whose parent is a file: every call on it fails with ENOTDIR, not ENOENT. */
async function underAFile(): Promise<string> {
  const dir = await freshDir();
  await writeFile(join(dir, 'file'), 'x');
  return join(dir, 'file', 'child');
}

describe('missing-file helpers', () => {
  it('read a missing path as empty or null', async () => {
    const missing = join(await freshDir(), 'nope');
    expect(await readdirOrEmpty(missing)).toEqual([]);
    expect(await readdirOrEmpty(missing, { withFileTypes: true })).toEqual([]);
    expect(await statOrNull(missing)).toBeNull();
    expect(await statOrNull(missing, { bigint: true })).toBeNull();
    expect(await lstatOrNull(missing)).toBeNull();
    expect(await readFileOrNull(missing)).toBeNull();
    expect(await readFileOrNull(missing, 'utf8')).toBeNull();
    expect(await openOrNull(missing)).toBeNull();
    expect(await unlinkIfExists(missing)).toBe(false);
  });

  it('read what exists', async () => {
    const dir = await freshDir();
    const file = join(dir, 'a.json');
    await writeFile(file, '{"a":1}');
    await mkdir(join(dir, 'sub'));
    expect((await readdirOrEmpty(dir)).sort()).toEqual(['a.json', 'sub']);
    const entries = await readdirOrEmpty(dir, { withFileTypes: true });
    expect(entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name)).toEqual([
      'sub',
    ]);
    expect((await statOrNull(file))?.size).toBe(7);
    expect((await statOrNull(file, { bigint: true }))?.size).toBe(7n);
    expect((await lstatOrNull(file))?.isFile()).toBe(true);
    expect(await readFileOrNull(file, 'utf8')).toBe('{"a":1}');
    expect((await readFileOrNull(file))?.toString()).toBe('{"a":1}');
    const handle = await openOrNull(file);
    expect((await handle?.stat())?.size).toBe(7);
    await handle?.close();
    expect(await unlinkIfExists(file)).toBe(true);
    expect(await statOrNull(file)).toBeNull();
  });

  it('throw every other error with its path', async () => {
    const path = await underAFile();
    const calls: [string, () => Promise<unknown>][] = [
      ['readdirOrEmpty', () => readdirOrEmpty(path)],
      ['statOrNull', () => statOrNull(path)],
      ['lstatOrNull', () => lstatOrNull(path)],
      ['readFileOrNull', () => readFileOrNull(path)],
      ['openOrNull', () => openOrNull(path)],
      ['unlinkIfExists', () => unlinkIfExists(path)],
    ];
    for (const [name, call] of calls) {
      await expect(call(), name).rejects.toMatchObject({ code: 'ENOTDIR', path });
    }
    // A directory read as a file is not a missing file either.
    await expect(readFileOrNull(await freshDir())).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
