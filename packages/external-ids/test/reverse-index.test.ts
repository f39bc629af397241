import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ExternalIdMapper } from '../src/index.js';
import { buildIndex } from '../src/reverse-index.js';
import { freshMapper, readJsonFile } from './helpers/setup.js';

// Count how often the index is built; it must not be once per lookup.
vi.mock('../src/reverse-index.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/reverse-index.js')>();
  return { ...original, buildIndex: vi.fn(original.buildIndex) };
});

const builds = (): number => vi.mocked(buildIndex).mock.calls.length;

describe('getInternal index', () => {
  it('is built once per version of the mapping file, not per lookup', async () => {
    const { dir, mapper } = await freshMapper();
    for (let i = 1; i <= 200; i++) await mapper.recordExternal(`T${i}`, 'github', String(i));
    const reader = new ExternalIdMapper({ stateDir: dir });
    const start = builds();
    for (let i = 1; i <= 200; i++)
      expect(await reader.getInternal('github', String(i))).toBe(`T${i}`);
    expect(builds() - start).toBe(1);

    // Another instance writes: the reader notices (stat signature) and rebuilds once.
    await mapper.mapToExternal('NEW', 'github');
    for (let i = 0; i < 50; i++) expect(await reader.getInternal('github', '201')).toBe('NEW');
    expect(builds() - start).toBe(2);

    // A hand edit is noticed too.
    const doc = (await readJsonFile(join(dir, 'external_id_mapping.json'))) as {
      mappings: Record<string, unknown>;
    };
    doc.mappings.EDITED = { github: '999' };
    await writeFile(join(dir, 'external_id_mapping.json'), JSON.stringify(doc));
    expect(await reader.getInternal('github', '999')).toBe('EDITED');
    expect(await reader.getInternal('github', '1')).toBe('T1');
    expect(builds() - start).toBe(3);
  });

  it('a writer reuses what it wrote: no rebuild from disk for its own lookups', async () => {
    const { mapper } = await freshMapper();
    await mapper.mapToExternal('A', 'jira');
    const start = builds();
    expect(await mapper.getInternal('jira', 'PROJ-1')).toBe('A');
    expect(await mapper.getInternal('jira', 'PROJ-1')).toBe('A');
    expect(builds() - start).toBe(1);
  });
});
