import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptFileError } from '@vellum/atomic-io';
import { readStoreVersion, writeStoreVersion } from '../src/index.js';
import { freshDir } from './helpers.js';

describe('the version file', () => {
  it('is missing: null', async () => {
    expect(await readStoreVersion(await freshDir())).toBeNull();
  });

  it('is written as spec 000 writes it: the version and a newline, readable by `cat`', async () => {
    const root = await freshDir();
    await writeStoreVersion(root, '2');
    expect(await readFile(join(root, 'version'), 'utf8')).toBe('2\n');
    // Spec 000's shell loop: `seq $(( $(cat version) + 1 )) 3`.
    const out = execFileSync('sh', ['-c', 'seq $(( $(cat version) + 1 )) 3'], { cwd: root });
    expect(out.toString()).toBe('3\n');
  });

  it('creates a missing root', async () => {
    const root = join(await freshDir(), 'new', '.ap-state');
    await writeStoreVersion(root, '1.0.0');
    expect(await readStoreVersion(root)).toBe('1.0.0');
  });

  it('tolerates what editors and echo leave: no newline, CRLF, spaces', async () => {
    const root = await freshDir();
    for (const text of ['3', '3\r\n', '  3 \n\n', '1.0.0\n']) {
      await writeFile(join(root, 'version'), text);
      expect(await readStoreVersion(root)).toBe(text.trim());
    }
  });

  it('anything else is a CorruptFileError naming the file', async () => {
    const root = await freshDir();
    for (const text of ['', 'v2\n', '1\n2\n', '{"version":1}']) {
      await writeFile(join(root, 'version'), text);
      const error = await readStoreVersion(root).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptFileError);
      expect(error).toMatchObject({ code: 'VELLUM_CORRUPT_FILE', path: join(root, 'version') });
    }
  });
});
