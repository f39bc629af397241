import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deadPid } from '@vellum/test-utils';
import { describe, expect, it } from 'vitest';
import { cleanupTempFiles, isTempName } from '../src/index.js';
import { freshDir, listNames } from './helpers/temp-dir.js';

describe('cleanupTempFiles', () => {
  it('removes temp files of dead writers and keeps everything else', async () => {
    const dir = await freshDir();
    const dead = deadPid();
    const orphan = `.a.json.vellum-tmp-${dead}-abcdef`;
    const live = `.a.json.vellum-tmp-${process.pid}-123456`;
    await writeFile(join(dir, 'a.json'), '{}');
    await writeFile(join(dir, orphan), '{"half');
    await writeFile(join(dir, live), '{');
    await writeFile(join(dir, '.tmp_user.json'), 'not ours');
    const removed = await cleanupTempFiles(dir);
    expect(removed).toEqual([join(dir, orphan)]);
    expect(await listNames(dir)).toEqual([
      '.a.json.vellum-tmp-' + process.pid + '-123456',
      '.tmp_user.json',
      'a.json',
    ]);
  });

  it('removes old temp files of a live pid (pid reuse) only when maxAgeMs asks for it', async () => {
    const dir = await freshDir();
    const name = `.a.json.vellum-tmp-${process.pid}-abcdef`;
    await writeFile(join(dir, name), '');
    const old = new Date(Date.now() - 2 * 3_600_000);
    await utimes(join(dir, name), old, old);
    // By default a live writer's file stays, whatever its time says: a clock off from the file
    // system's must not make an open remove a write in progress.
    expect(await cleanupTempFiles(dir)).toEqual([]);
    expect(await cleanupTempFiles(dir, { maxAgeMs: 3_600_000 })).toEqual([join(dir, name)]);
  });

  it('looks into subdirectories up to depth', async () => {
    const dir = await freshDir();
    await mkdir(join(dir, 'tasks', 'active'), { recursive: true });
    const name = `.t.json.vellum-tmp-${deadPid()}-00ff00`;
    await writeFile(join(dir, 'tasks', 'active', name), '');
    expect(await cleanupTempFiles(dir, { depth: 1 })).toEqual([]);
    expect(await cleanupTempFiles(dir, { depth: 2 })).toEqual([join(dir, 'tasks', 'active', name)]);
  });

  it('treats a missing directory as clean', async () => {
    expect(await cleanupTempFiles(join(await freshDir(), 'nope'))).toEqual([]);
  });

  it('recognizes only its own temp names', () => {
    expect(isTempName('.a.json.vellum-tmp-12-abc123')).toBe(true);
    expect(isTempName('a.json')).toBe(false);
    expect(isTempName('.tmp_x.json')).toBe(false);
  });
});
