import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CounterExhaustedError,
  ExternalIdMapper,
  MappingConflictError,
  NotMappedError,
  StateUnreadableError,
  UnknownTaskError,
  defaultStateDir,
} from '../src/index.js';
import {
  freshMapper,
  readJsonFile,
  snapshot,
  snapshotData,
  specStateDir,
  tempDir,
} from './helpers/setup.js';

const MAPPING = 'external_id_mapping.json';
const COUNTERS = 'external_id_counters.json';
const SYNC = 'external_id_sync.json';

describe('mapToExternal', () => {
  it('allocates per project key for Jira and Linear, per tool for Azure DevOps and GitHub', async () => {
    const { mapper } = await freshMapper();
    expect(await mapper.mapToExternal('T1', 'jira')).toBe('PROJ-1');
    expect(await mapper.mapToExternal('T2', 'jira')).toBe('PROJ-2');
    expect(await mapper.mapToExternal('T3', 'jira', 'TEST')).toBe('TEST-1');
    expect(await mapper.mapToExternal('T1', 'linear', 'TEAM')).toBe('TEAM-1');
    expect(await mapper.mapToExternal('T2', 'linear', 'DESIGN')).toBe('DESIGN-1');
    expect(await mapper.mapToExternal('T3', 'linear')).toBe('PROJ-1');
    expect(await mapper.mapToExternal('T1', 'azure_devops')).toBe('1');
    expect(await mapper.mapToExternal('T2', 'azure_devops')).toBe('2');
    expect(await mapper.mapToExternal('T1', 'github')).toBe('1');
    expect(await mapper.getCounters()).toEqual({
      jira: { PROJ: 2, TEST: 1 },
      azure_devops: 2,
      linear: { TEAM: 1, DESIGN: 1, PROJ: 1 },
      github: 1,
    });
  });

  it('uses the configured default project key', async () => {
    const { mapper } = await freshMapper({ defaultProjectKey: 'ENG' });
    expect(await mapper.mapToExternal('T1', 'jira')).toBe('ENG-1');
  });

  it('is idempotent: an already mapped task gets its id back and nothing is written', async () => {
    const { dir, mapper } = await freshMapper();
    expect(await mapper.mapToExternal('T1', 'jira')).toBe('PROJ-1');
    const before = await snapshot(dir);
    expect(await mapper.mapToExternal('T1', 'jira')).toBe('PROJ-1');
    // Even with another key: the task is already mapped for Jira.
    expect(await mapper.mapToExternal('T1', 'jira', 'OTHER')).toBe('PROJ-1');
    expect(await snapshot(dir)).toEqual(before);
    const again = new ExternalIdMapper({ stateDir: dir });
    expect(await again.mapToExternal('T1', 'jira')).toBe('PROJ-1');
  });

  it('stops at MAX_SAFE_INTEGER instead of handing out an unsafe id', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'github');
    await writeFile(
      join(dir, COUNTERS),
      JSON.stringify({
        version: '1.0',
        updated: 'x',
        counters: { github: Number.MAX_SAFE_INTEGER, jira: { PROJ: Number.MAX_SAFE_INTEGER } },
      }),
    );
    const before = await snapshot(dir);
    const error = await mapper.mapToExternal('T2', 'github').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CounterExhaustedError);
    expect(error).toMatchObject({ code: 'VELLUM_COUNTER_EXHAUSTED', path: join(dir, COUNTERS) });
    await expect(mapper.mapToExternal('T2', 'jira')).rejects.toThrow(/jira PROJ counter/);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('refuses a task taskExists does not know, before any file is touched', async () => {
    const known = new Set(['T1']);
    const asked: string[] = [];
    const { dir, mapper } = await freshMapper({
      taskExists: async (id) => {
        asked.push(id);
        return known.has(id);
      },
    });
    const error = await mapper.mapToExternal('T404', 'jira').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownTaskError);
    expect(error).toMatchObject({ code: 'VELLUM_NOT_FOUND', internalId: 'T404' });
    expect(await snapshot(dir)).toEqual({});
    // bad arguments are refused first, without asking
    await expect(mapper.mapToExternal('../T1', 'jira')).rejects.toThrow(
      /invalid external-ids arguments/,
    );
    expect(asked).toEqual(['T404']);
    expect(await mapper.mapToExternal('T1', 'jira')).toBe('PROJ-1');
    // only mapToExternal asks: recording an id a tracker assigned does not
    await mapper.recordExternal('T2', 'github', '7');
    expect(asked).toEqual(['T404', 'T1']);
  });

  it('treats internal ids that are Object.prototype names as ordinary tasks', async () => {
    const { mapper } = await freshMapper();
    for (const id of ['constructor', 'toString', 'hasOwnProperty']) {
      expect(await mapper.getExternal(id, 'jira')).toBeUndefined();
    }
    expect(await mapper.mapToExternal('constructor', 'jira')).toBe('PROJ-1');
    expect(await mapper.mapToExternal('toString', 'jira')).toBe('PROJ-2');
    expect(await mapper.getInternal('jira', 'PROJ-1')).toBe('constructor');
    expect((await mapper.list()).map((entry) => entry.internalId)).toEqual([
      'constructor',
      'toString',
    ]);
  });
});

describe('recordExternal', () => {
  it('stores an id a tracker assigned and never hands it out again', async () => {
    const { mapper } = await freshMapper();
    await mapper.recordExternal('T1', 'jira', 'PROJ-40');
    await mapper.recordExternal('T2', 'github', '7');
    expect(await mapper.getExternal('T1', 'jira')).toBe('PROJ-40');
    expect(await mapper.getInternal('github', '7')).toBe('T2');
    expect(await mapper.mapToExternal('T3', 'jira')).toBe('PROJ-41');
    expect(await mapper.mapToExternal('T3', 'github')).toBe('8');
    // A lower id does not lower the counter.
    await mapper.recordExternal('T4', 'jira', 'PROJ-5');
    expect(await mapper.mapToExternal('T5', 'jira')).toBe('PROJ-42');
  });

  it('recording the same mapping twice is a no-op', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.recordExternal('T1', 'linear', 'TEAM-3');
    const before = await snapshot(dir);
    await mapper.recordExternal('T1', 'linear', 'TEAM-3');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('refuses an id that belongs to another task', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.recordExternal('T1', 'github', '12');
    const before = await snapshot(dir);
    const error = await mapper.recordExternal('T2', 'github', '12').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MappingConflictError);
    expect(error).toMatchObject({
      code: 'VELLUM_MAPPING_CONFLICT',
      tool: 'github',
      internalId: 'T2',
      externalId: '12',
      ownerInternalId: 'T1',
      currentExternalId: undefined,
    });
    expect((error as Error).message).toContain('github 12 is already mapped to T1');
    // Not even with replace: that would give one remote item two tasks.
    await expect(
      mapper.recordExternal('T2', 'github', '12', { replace: true }),
    ).rejects.toBeInstanceOf(MappingConflictError);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('replaces a task’s id only when asked to; the old number stays used', async () => {
    const { mapper } = await freshMapper();
    expect(await mapper.mapToExternal('T1', 'jira')).toBe('PROJ-1');
    const error = await mapper.recordExternal('T1', 'jira', 'PROJ-30').catch((e: unknown) => e);
    expect(error).toMatchObject({ currentExternalId: 'PROJ-1', ownerInternalId: undefined });
    expect((error as Error).message).toContain('pass { replace: true }');
    await mapper.recordExternal('T1', 'jira', 'PROJ-30', { replace: true });
    expect(await mapper.getExternal('T1', 'jira')).toBe('PROJ-30');
    expect(await mapper.getInternal('jira', 'PROJ-1')).toBeUndefined();
    expect(await mapper.getInternal('jira', 'PROJ-30')).toBe('T1');
    expect(await mapper.mapToExternal('T2', 'jira')).toBe('PROJ-31');
  });
});

describe('lookups', () => {
  it('getExternal, getInternal and list answer from the mapping file', async () => {
    const { mapper } = await freshMapper();
    await mapper.mapToExternal('B', 'github');
    await mapper.mapToExternal('A', 'jira');
    await mapper.mapToExternal('A', 'azure_devops');
    expect(await mapper.getExternal('A', 'jira')).toBe('PROJ-1');
    expect(await mapper.getExternal('A', 'github')).toBeUndefined();
    expect(await mapper.getExternal('Z', 'github')).toBeUndefined();
    expect(await mapper.getInternal('azure_devops', '1')).toBe('A');
    expect(await mapper.getInternal('github', '1')).toBe('B');
    expect(await mapper.getInternal('jira', '1')).toBeUndefined();
    expect(await mapper.list()).toEqual([
      { internalId: 'A', ids: { jira: 'PROJ-1', azure_devops: '1' } },
      { internalId: 'B', ids: { github: '1' } },
    ]);
  });

  it('list returns copies: changing them changes nothing', async () => {
    const { mapper } = await freshMapper();
    await mapper.mapToExternal('A', 'jira');
    const entries = await mapper.list();
    (entries[0] as { ids: Record<string, string> }).ids.jira = 'PROJ-999';
    expect(await mapper.getExternal('A', 'jira')).toBe('PROJ-1');
  });

  it('handles a file from another writer that maps one id to two tasks', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.recordExternal('A', 'jira', 'PROJ-1');
    const doc = (await readJsonFile(join(dir, MAPPING))) as { mappings: Record<string, unknown> };
    doc.mappings.B = { jira: 'PROJ-1', gitlab: '4' };
    await writeFile(join(dir, MAPPING), JSON.stringify(doc));
    expect(await mapper.getInternal('jira', 'PROJ-1')).toBe('A');
    await expect(mapper.recordExternal('B', 'jira', 'PROJ-1')).resolves.toBeUndefined();
    await expect(mapper.recordExternal('C', 'jira', 'PROJ-1')).rejects.toMatchObject({
      ownerInternalId: 'A',
    });
    // Tools we do not know are kept in the file but not listed.
    expect(await mapper.list()).toEqual([
      { internalId: 'A', ids: { jira: 'PROJ-1' } },
      { internalId: 'B', ids: { jira: 'PROJ-1' } },
    ]);
  });

  it('lists only tasks that have an id for a known tool', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('A', 'github');
    const doc = (await readJsonFile(join(dir, MAPPING))) as { mappings: Record<string, unknown> };
    doc.mappings.X = { gitlab: '4' };
    await writeFile(join(dir, MAPPING), JSON.stringify(doc));
    expect((await mapper.list()).map((entry) => entry.internalId)).toEqual(['A']);
  });
});

describe('unmap', () => {
  it('removes one tool’s id or all of them; counters never go back', async () => {
    const { mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'jira');
    await mapper.mapToExternal('T1', 'github');
    await mapper.mapToExternal('T2', 'jira');
    expect(await mapper.unmap('T1', 'jira')).toBe(true);
    expect(await mapper.getExternal('T1', 'jira')).toBeUndefined();
    expect(await mapper.getInternal('jira', 'PROJ-1')).toBeUndefined();
    expect(await mapper.getExternal('T1', 'github')).toBe('1');
    expect(await mapper.unmap('T1', 'jira')).toBe(false);
    expect(await mapper.unmap('T2')).toBe(true);
    expect(await mapper.unmap('T2')).toBe(false);
    expect(await mapper.unmap('NOPE', 'github')).toBe(false);
    expect(await mapper.list()).toEqual([{ internalId: 'T1', ids: { github: '1' } }]);
    // PROJ-1 and PROJ-2 were handed out once: the next is PROJ-3.
    expect(await mapper.mapToExternal('T3', 'jira')).toBe('PROJ-3');
    expect(await mapper.unmap('T1', 'github')).toBe(true);
    expect(await mapper.list()).toEqual([{ internalId: 'T3', ids: { jira: 'PROJ-3' } }]);
  });
});

describe('sync metadata', () => {
  it('is kept per mapping in a separate file, leaving the spec files exact', async () => {
    const { dir, mapper } = await freshMapper({ now: () => new Date('2025-11-10T14:45:00Z') });
    await mapper.mapToExternal('T1', 'jira');
    const mapping = await readFile(join(dir, MAPPING), 'utf8');
    const counters = await readFile(join(dir, COUNTERS), 'utf8');
    expect(await mapper.getSyncMetadata('T1', 'jira')).toBeUndefined();
    const stored = await mapper.updateSyncMetadata('T1', 'jira', {
      lastSyncedAt: '2025-11-10T16:45:00+02:00',
      contentHash: 'sha256:abc',
      remoteVersion: 3,
    });
    expect(stored).toEqual({
      externalId: 'PROJ-1',
      lastSyncedAt: '2025-11-10T14:45:00.000Z',
      contentHash: 'sha256:abc',
      remoteVersion: 3,
    });
    // A partial update keeps the other fields.
    expect(await mapper.updateSyncMetadata('T1', 'jira', { remoteVersion: 'W/"etag"' })).toEqual({
      ...stored,
      remoteVersion: 'W/"etag"',
    });
    expect(await mapper.getSyncMetadata('T1', 'jira')).toMatchObject({ remoteVersion: 'W/"etag"' });
    expect(await readFile(join(dir, MAPPING), 'utf8')).toBe(mapping);
    expect(await readFile(join(dir, COUNTERS), 'utf8')).toBe(counters);
    expect(await readJsonFile(join(dir, SYNC))).toEqual({
      version: '1.0',
      updated: '2025-11-10T14:45:00.000Z',
      sync: {
        T1: {
          jira: {
            external_id: 'PROJ-1',
            last_synced: '2025-11-10T14:45:00.000Z',
            content_hash: 'sha256:abc',
            remote_version: 'W/"etag"',
          },
        },
      },
    });
  });

  it('accepts a Date and stores only the fields given', async () => {
    const { mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'github');
    expect(
      await mapper.updateSyncMetadata('T1', 'github', {
        lastSyncedAt: new Date(Date.UTC(2025, 0, 2)),
      }),
    ).toEqual({ externalId: '1', lastSyncedAt: '2025-01-02T00:00:00.000Z' });
  });

  it('refuses metadata for a task without an id for that tool', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'jira');
    const before = await snapshot(dir);
    const error = await mapper
      .updateSyncMetadata('T1', 'github', { contentHash: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotMappedError);
    expect(error).toMatchObject({ code: 'VELLUM_NOT_MAPPED', internalId: 'T1', tool: 'github' });
    expect(await snapshot(dir)).toEqual(before);
    expect(await mapper.getSyncMetadata('T9', 'github')).toBeUndefined();
  });

  it('forgets metadata of a replaced id and of an unmapped task', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'jira');
    await mapper.mapToExternal('T1', 'github');
    await mapper.mapToExternal('T2', 'github');
    await mapper.updateSyncMetadata('T1', 'jira', { contentHash: 'a' });
    await mapper.updateSyncMetadata('T1', 'github', { contentHash: 'b' });
    await mapper.updateSyncMetadata('T2', 'github', { contentHash: 'c' });
    await mapper.recordExternal('T1', 'jira', 'PROJ-9', { replace: true });
    expect(await mapper.getSyncMetadata('T1', 'jira')).toBeUndefined();
    expect(await mapper.updateSyncMetadata('T1', 'jira', { remoteVersion: 1 })).toEqual({
      externalId: 'PROJ-9',
      remoteVersion: 1,
    });
    await mapper.unmap('T1', 'jira');
    expect(await readJsonFile(join(dir, SYNC))).toMatchObject({
      sync: { T1: { github: { content_hash: 'b' } } },
    });
    // Unmapping an id that has no metadata leaves the sync file alone.
    await mapper.mapToExternal('T1', 'linear');
    const syncBefore = await readFile(join(dir, SYNC), 'utf8');
    await mapper.unmap('T1', 'linear');
    expect(await readFile(join(dir, SYNC), 'utf8')).toBe(syncBefore);
    await mapper.unmap('T1');
    await mapper.unmap('T2', 'github');
    expect(await readJsonFile(join(dir, SYNC))).toMatchObject({ sync: {} });
  });
});

describe('reset', () => {
  it('is the way out of an unreadable state: files moved aside, never deleted', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'jira');
    await mapper.mapToExternal('T2', 'jira');
    await writeFile(join(dir, MAPPING), 'garbage');
    await writeFile(join(dir, `${MAPPING}.bak`), 'garbage too');
    await expect(mapper.mapToExternal('T3', 'jira')).rejects.toBeInstanceOf(StateUnreadableError);
    const moved = await mapper.reset('mappings');
    expect(moved).toHaveLength(2);
    for (const path of moved) {
      expect(path).toMatch(/external_id_mapping\.json(\.bak)?\.reset-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
      expect(await readFile(path, 'utf8')).toMatch(/^garbage/);
    }
    expect(await mapper.list()).toEqual([]);
    // The counters were kept, so PROJ-1 and PROJ-2 are not handed out again.
    expect(await mapper.mapToExternal('T3', 'jira')).toBe('PROJ-3');
  });

  it('resetting counters rebuilds them from the mappings', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'jira');
    await mapper.mapToExternal('T2', 'jira');
    await mapper.mapToExternal('T1', 'github');
    await writeFile(join(dir, COUNTERS), '{');
    await writeFile(join(dir, `${COUNTERS}.bak`), '{');
    expect(await mapper.reset('counters')).toHaveLength(2);
    expect(await mapper.getCounters()).toEqual({
      jira: { PROJ: 2 },
      azure_devops: 0,
      linear: {},
      github: 1,
    });
    expect(await mapper.mapToExternal('T3', 'jira')).toBe('PROJ-3');
  });

  it('reset all starts from nothing; a reset with nothing to move moves nothing', async () => {
    const { dir, mapper } = await freshMapper();
    expect(await mapper.reset('all')).toEqual([]);
    await mapper.mapToExternal('T1', 'jira');
    await mapper.mapToExternal('T2', 'jira');
    await mapper.updateSyncMetadata('T1', 'jira', { contentHash: 'x' });
    expect(await mapper.reset('all')).toHaveLength(5);
    expect(await mapper.reset('sync')).toEqual([]);
    expect(
      Object.keys(await snapshotData(dir)).filter((name) => !name.includes('.reset-')),
    ).toEqual([]);
    expect(await mapper.mapToExternal('T9', 'jira')).toBe('PROJ-1');
  });
});

describe('integration', () => {
  it('round-trips: what one instance saves another loads', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'jira', 'PROJ');
    await mapper.mapToExternal('T1', 'linear', 'TEAM');
    await mapper.recordExternal('T2', 'azure_devops', '77');
    const other = new ExternalIdMapper({ stateDir: dir });
    expect(await other.list()).toEqual(await mapper.list());
    expect(await other.getCounters()).toEqual(await mapper.getCounters());
  });

  it('persists across restarts: a new mapper continues the numbering', async () => {
    const { dir, mapper } = await freshMapper();
    for (let i = 1; i <= 3; i++) await mapper.mapToExternal(`T${i}`, 'github');
    const restarted = new ExternalIdMapper({ stateDir: dir });
    expect(await restarted.mapToExternal('T4', 'github')).toBe('4');
    expect(await restarted.mapToExternal('T1', 'github')).toBe('1');
  });

  it('persists each counter increment before answering', async () => {
    const { dir, mapper } = await freshMapper();
    for (let i = 1; i <= 3; i++) {
      await mapper.mapToExternal(`T${i}`, 'jira', 'OPS');
      expect(await readJsonFile(join(dir, COUNTERS))).toMatchObject({
        counters: { jira: { OPS: i } },
      });
    }
  });

  it('persists each new mapping before answering', async () => {
    const { dir, mapper } = await freshMapper();
    for (let i = 1; i <= 3; i++) {
      const id = await mapper.mapToExternal(`T${i}`, 'azure_devops');
      const doc = (await readJsonFile(join(dir, MAPPING))) as {
        mappings: Record<string, Record<string, string>>;
      };
      expect(doc.mappings[`T${i}`]).toEqual({ azure_devops: id });
      expect(Object.keys(doc.mappings)).toHaveLength(i);
    }
  });

  it('concurrent mapper instances share state, including the reverse index', async () => {
    const { dir } = await freshMapper();
    const a = new ExternalIdMapper({ stateDir: dir });
    const b = new ExternalIdMapper({ stateDir: dir });
    expect(await b.getInternal('jira', 'PROJ-1')).toBeUndefined();
    expect(await a.mapToExternal('T1', 'jira')).toBe('PROJ-1');
    expect(await b.getInternal('jira', 'PROJ-1')).toBe('T1');
    expect(await b.mapToExternal('T2', 'jira')).toBe('PROJ-2');
    expect(await a.getInternal('jira', 'PROJ-2')).toBe('T2');
    expect(await a.mapToExternal('T2', 'jira')).toBe('PROJ-2');
    await b.unmap('T1');
    expect(await a.getExternal('T1', 'jira')).toBeUndefined();
  });

  it('defaults to .claude/state under the working directory', async () => {
    const root = await tempDir();
    expect(defaultStateDir(root)).toBe(join(root, '.claude', 'state'));
    expect(defaultStateDir()).toBe(join(process.cwd(), '.claude', 'state'));
    expect(new ExternalIdMapper().paths).toMatchObject({
      dir: join(process.cwd(), '.claude', 'state'),
      lock: join(process.cwd(), '.claude', 'state', '.vellum-external-ids.lock'),
    });
  });

  it('opens the spec example directory and reads it without changing a byte', async () => {
    const dir = await specStateDir();
    const before = await snapshot(dir);
    const mapper = new ExternalIdMapper({ stateDir: dir });
    expect(await mapper.getExternal('TASK-E01-b2c4', 'github')).toBe('234');
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('file-system errors', () => {
  it('an I/O error is not corruption: it is thrown as is and nothing is moved aside', async () => {
    const { dir, mapper } = await freshMapper();
    await mkdir(join(dir, MAPPING), { recursive: true });
    await expect(mapper.list()).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(mapper.mapToExternal('T1', 'jira')).rejects.toMatchObject({ code: 'EISDIR' });
    expect(await snapshotData(dir)).toEqual({ [MAPPING]: '<dir>' });
  });

  it('a state directory that cannot be created fails, and is retried on the next call', async () => {
    const root = await tempDir();
    await writeFile(join(root, 'blocker'), '');
    const mapper = new ExternalIdMapper({ stateDir: join(root, 'blocker', 'state') });
    await expect(mapper.mapToExternal('T1', 'jira')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await rm(join(root, 'blocker'));
    expect(await mapper.mapToExternal('T1', 'jira')).toBe('PROJ-1');
  });
});
