import { chmod, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TempDirs, spawnChild, useTempDirs, withTempDir } from '../src/index.js';

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('TempDirs', () => {
  const saved = process.env.VELLUM_KEEP_TEST_DIRS;
  afterEach(() => {
    if (saved === undefined) delete process.env.VELLUM_KEEP_TEST_DIRS;
    else process.env.VELLUM_KEEP_TEST_DIRS = saved;
  });

  it('makes fresh, empty, distinct directories and removes them all, read-only folders too', async () => {
    delete process.env.VELLUM_KEEP_TEST_DIRS;
    const dirs = new TempDirs('vellum-tu-');
    const a = await dirs.make();
    const b = await dirs.make('vellum-tu-other-');
    expect(a).not.toBe(b);
    expect(a).toMatch(/vellum-tu-[^/]+$/);
    await mkdir(join(a, 'locked', 'deep'), { recursive: true });
    await writeFile(join(a, 'locked', 'deep', 'f'), 'x');
    await chmod(join(a, 'locked', 'deep'), 0o500);
    await chmod(join(a, 'locked'), 0o500);
    await dirs.cleanup();
    expect(await exists(a)).toBe(false);
    expect(await exists(b)).toBe(false);
  });

  it('runs the clean-ups last registered first, before the directories go, even when one fails', async () => {
    delete process.env.VELLUM_KEEP_TEST_DIRS;
    const dirs = new TempDirs();
    const dir = await dirs.make();
    const order: string[] = [];
    dirs.onCleanup(async () => {
      order.push(`first, dir there: ${String(await exists(dir))}`);
    });
    dirs.onCleanup(() => {
      order.push('second');
      throw new Error('close failed');
    });
    await expect(dirs.cleanup()).rejects.toThrow('close failed');
    expect(order).toEqual(['second', 'first, dir there: true']);
    expect(await exists(dir)).toBe(false);
  });

  it('keeps the directories when VELLUM_KEEP_TEST_DIRS is set', async () => {
    process.env.VELLUM_KEEP_TEST_DIRS = '1';
    const dirs = new TempDirs();
    const dir = await dirs.make();
    await dirs.cleanup();
    expect(await exists(dir)).toBe(true);
    // Removed by hand: it was kept on purpose.
    await rm(dir, { recursive: true });
  });

  it('kills the children still running before removing the directories', async () => {
    const dirs = new TempDirs();
    await dirs.make();
    const child = spawnChild(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    await dirs.cleanup();
    expect(child.exit).toEqual({ code: null, signal: 'SIGKILL' });
  });
});

describe('withTempDir', () => {
  it('removes the directory after a failure too', async () => {
    let seen = '';
    await expect(
      withTempDir(async (dir) => {
        seen = dir;
        await writeFile(join(dir, 'f'), 'x');
        throw new Error('property failed');
      }),
    ).rejects.toThrow('property failed');
    expect(seen).not.toBe('');
    expect(await exists(seen)).toBe(false);
  });
});

describe('useTempDirs', () => {
  const { freshDir, onCleanup } = useTempDirs('vellum-tu-hook-');
  let previous: string | undefined;
  let closed = false;

  it('gives each test a fresh directory', async () => {
    previous = await freshDir();
    onCleanup(() => {
      closed = true;
    });
    expect(await exists(previous)).toBe(true);
  });

  it('removed the previous test directory and ran its clean-ups after it', async () => {
    expect(previous).toBeDefined();
    expect(closed).toBe(true);
    expect(await exists(previous as string)).toBe(false);
    expect(await freshDir()).not.toBe(previous);
  });
});
