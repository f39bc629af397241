import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  countersFileSchema,
  decodeCounters,
  decodeMappings,
  decodeSync,
  emptySync,
  encodeCounters,
  encodeMappings,
  encodeSync,
  isSupportedVersion,
  mappingFileSchema,
  syncFileSchema,
} from '../src/formats.js';
import { fixturesDir } from './helpers/setup.js';

async function fixture(name: string): Promise<unknown> {
  return JSON.parse(await readFile(join(fixturesDir, name), 'utf8')) as unknown;
}

describe('formats', () => {
  it('accepts the spec example documents and round-trips them exactly', async () => {
    const mappingDoc = await fixture('external_id_mapping.json');
    const countersDoc = await fixture('external_id_counters.json');
    const mappings = decodeMappings(mappingFileSchema.parse(mappingDoc));
    const counters = decodeCounters(countersFileSchema.parse(countersDoc));
    expect(mappings.tasks.get('TASK-E01-b2c4')?.get('azure_devops')).toBe('1234');
    expect(counters.jira.get('TEST')).toBe(12);
    expect(encodeMappings(mappings, '2025-11-10T14:45:00Z')).toEqual(mappingDoc);
    expect(encodeCounters(counters, '2025-11-10T14:45:00Z')).toEqual(countersDoc);
  });

  it('keeps fields it does not know (a newer 1.x writer, another tool)', () => {
    const doc = {
      version: '1.1',
      updated: 'x',
      note: { keep: true },
      mappings: { T: { jira: 'PROJ-1', gitlab: '7' } },
    };
    expect(encodeMappings(decodeMappings(mappingFileSchema.parse(doc)), 'x')).toEqual(doc);
    const counters = {
      version: '1.0',
      updated: 'x',
      counters: { jira: {}, azure_devops: 0, linear: {}, github: 0, gitlab: 7 },
    };
    expect(encodeCounters(decodeCounters(countersFileSchema.parse(counters)), 'x')).toEqual(
      counters,
    );
  });

  it('reads counters files that lack a tool as zero for it', () => {
    const counters = decodeCounters(
      countersFileSchema.parse({ version: '1.0', updated: 'x', counters: { jira: { PROJ: 3 } } }),
    );
    expect(encodeCounters(counters, 'x')).toEqual({
      version: '1.0',
      updated: 'x',
      counters: { jira: { PROJ: 3 }, azure_devops: 0, linear: {}, github: 0 },
    });
  });

  it.each([
    ['no version', { updated: 'x', mappings: {} }],
    ['no mappings', { version: '1.0', updated: 'x' }],
    ['a numeric id', { version: '1.0', updated: 'x', mappings: { T: { github: 234 } } }],
    ['a list of mappings', { version: '1.0', updated: 'x', mappings: [] }],
    ['a task that is not an object', { version: '1.0', updated: 'x', mappings: { T: 'PROJ-1' } }],
  ])('rejects a mapping file with %s', (_name, doc) => {
    expect(mappingFileSchema.safeParse(doc).success).toBe(false);
  });

  it.each([
    ['a negative counter', { github: -1 }],
    ['a fractional counter', { azure_devops: 1.5 }],
    ['an unsafe counter', { github: 2 ** 60 }],
    ['a string counter', { jira: { PROJ: '4' } }],
    ['a flat jira counter', { jira: 4 }],
  ])('rejects a counters file with %s', (_name, counters) => {
    expect(countersFileSchema.safeParse({ version: '1.0', updated: 'x', counters }).success).toBe(
      false,
    );
  });

  it('round-trips the sync file', () => {
    const doc = {
      version: '1.0',
      updated: 'x',
      sync: { T: { jira: { external_id: 'PROJ-1', content_hash: 'h', remote_version: 3 } } },
    };
    expect(encodeSync(decodeSync(syncFileSchema.parse(doc)), 'x')).toEqual(doc);
    expect(encodeSync(emptySync(), 'y')).toEqual({ version: '1.0', updated: 'y', sync: {} });
  });

  it('supports format versions 1.x only', () => {
    for (const version of ['1', '1.0', '1.2', '1.0.3'])
      expect(isSupportedVersion(version)).toBe(true);
    for (const version of ['2.0', '0.9', '1.x', 'v1', ''])
      expect(isSupportedVersion(version)).toBe(false);
  });
});
