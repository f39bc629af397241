/**
 * Spec 003's persistence test categories (section 4.1): atomic write, load,
 * save, backup/restore. Locking, integration and concurrency have their own files.
 */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  CorruptFileError,
  LockCompromisedError,
  WriteError,
  isTempName,
  writeJsonAtomic,
} from '@vellum/atomic-io';
import { describe, expect, it } from 'vitest';
import {
  ExternalIdMapper,
  StateUnreadableError,
  UnsupportedVersionError,
  type StateRecovery,
} from '../src/index.js';
import {
  errno,
  freshMapper,
  readJsonFile,
  recordingFs,
  snapshot,
  snapshotData,
  specStateDir,
  tempDir,
} from './helpers/setup.js';

const MAPPING = 'external_id_mapping.json';
const COUNTERS = 'external_id_counters.json';

async function tempFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter(isTempName);
}

function fixedClock(...times: string[]): () => Date {
  let i = 0;
  return () => new Date(times[Math.min(i++, times.length - 1)] ?? 0);
}

describe('atomic write', () => {
  it('writes the spec format: sorted keys, two-space indent, no temp file left', async () => {
    const { dir, mapper } = await freshMapper({ now: () => new Date('2025-11-10T14:45:00Z') });
    await mapper.mapToExternal('TASK-E01-b2c4', 'jira');
    await mapper.mapToExternal('TASK-E01-b2c4', 'azure_devops');
    expect(await readFile(join(dir, MAPPING), 'utf8')).toBe(
      [
        '{',
        '  "mappings": {',
        '    "TASK-E01-b2c4": {',
        '      "azure_devops": "1",',
        '      "jira": "PROJ-1"',
        '    }',
        '  },',
        '  "updated": "2025-11-10T14:45:00.000Z",',
        '  "version": "1.0"',
        '}',
        '',
      ].join('\n'),
    );
    expect(await readJsonFile(join(dir, COUNTERS))).toEqual({
      version: '1.0',
      updated: '2025-11-10T14:45:00.000Z',
      counters: { jira: { PROJ: 1 }, azure_devops: 1, linear: {}, github: 0 },
    });
    expect(await tempFiles(dir)).toEqual([]);
  });

  it('keeps the previous version of each file as .bak', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'github');
    const firstMapping = await readFile(join(dir, MAPPING), 'utf8');
    const firstCounters = await readFile(join(dir, COUNTERS), 'utf8');
    await mapper.mapToExternal('T2', 'github');
    expect(await readFile(join(dir, `${MAPPING}.bak`), 'utf8')).toBe(firstMapping);
    expect(await readFile(join(dir, `${COUNTERS}.bak`), 'utf8')).toBe(firstCounters);
  });

  it('cleans up after a failed write; a retry leaves a gap, never a duplicate', async () => {
    let failMappingRename = true;
    const { fs } = recordingFs((call) => {
      if (failMappingRename && call.op === 'rename' && call.to?.endsWith(`/${MAPPING}`)) {
        throw errno('EIO', 'injected I/O error');
      }
    });
    const { dir, mapper } = await freshMapper({ fs });
    failMappingRename = false;
    expect(await mapper.mapToExternal('T1', 'jira')).toBe('PROJ-1');
    failMappingRename = true;
    const mappingBefore = await readFile(join(dir, MAPPING), 'utf8');
    const error = await mapper.mapToExternal('T2', 'jira').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WriteError);
    expect((error as WriteError).code).toBe('VELLUM_WRITE_FAILED');
    // Counters were written first and are durable; the mapping is unchanged; no temp file.
    expect(await readFile(join(dir, MAPPING), 'utf8')).toBe(mappingBefore);
    expect(await readJsonFile(join(dir, COUNTERS))).toMatchObject({
      counters: { jira: { PROJ: 2 } },
    });
    expect(await tempFiles(dir)).toEqual([]);
    failMappingRename = false;
    expect(await mapper.mapToExternal('T2', 'jira')).toBe('PROJ-3');
    expect(await mapper.getInternal('jira', 'PROJ-2')).toBeUndefined();
  });

  it('writes nothing at all when the first (counters) write fails', async () => {
    let fail = false;
    const { fs } = recordingFs((call) => {
      if (fail && call.op === 'sync' && call.path.includes(`.${COUNTERS}.vellum-tmp-`)) {
        throw errno('ENOSPC', 'no space left on device');
      }
    });
    const { dir, mapper } = await freshMapper({ fs });
    await mapper.mapToExternal('T1', 'github');
    const before = await snapshot(dir);
    fail = true;
    await expect(mapper.mapToExternal('T2', 'github')).rejects.toMatchObject({
      code: 'VELLUM_DISK_FULL',
    });
    expect(await snapshot(dir)).toEqual(before);
    fail = false;
    expect(await mapper.mapToExternal('T2', 'github')).toBe('2');
  });

  it('fsyncs each temp file before its rename and the directory after', async () => {
    const { fs, calls } = recordingFs();
    const { dir, mapper } = await freshMapper({ fs });
    await mapper.mapToExternal('T1', 'linear', 'TEAM');
    for (const name of [COUNTERS, MAPPING]) {
      const target = join(dir, name);
      const publish = calls.findIndex((call) => call.op === 'rename' && call.to === target);
      expect(publish).toBeGreaterThan(0);
      const temp = calls[publish]?.path ?? '';
      expect(dirname(temp)).toBe(dir); // same directory: rename cannot cross devices
      expect(isTempName(temp.slice(dir.length + 1))).toBe(true);
      const synced = calls.findIndex((call) => call.op === 'sync' && call.path === temp);
      expect(synced).toBeGreaterThan(-1);
      expect(synced).toBeLessThan(publish);
      const dirSynced = calls.findIndex(
        (call, index) => index > publish && call.op === 'sync' && call.path === dir,
      );
      expect(dirSynced).toBeGreaterThan(publish);
    }
    // Counters are published before mappings (a crash between them can only leave a gap).
    const order = calls
      .filter((call) => call.op === 'rename' && !call.to?.endsWith('.bak'))
      .map((call) => call.to);
    expect(order).toEqual([join(dir, COUNTERS), join(dir, MAPPING)]);
  });

  it('replaces by rename: a reader never sees a partial file', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T0', 'github');
    let done = false;
    let reads = 0;
    const reader = (async () => {
      while (!done) {
        const text = await readFile(join(dir, MAPPING), 'utf8');
        expect(() => JSON.parse(text) as unknown).not.toThrow();
        reads++;
      }
    })();
    for (let i = 1; i <= 30; i++) await mapper.mapToExternal(`T${i}`, 'github');
    done = true;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect((await mapper.list()).length).toBe(31);
  });

  it('creates the state directory, by default .claude/state under the project root', async () => {
    const root = await tempDir();
    const mapper = new ExternalIdMapper({ projectRoot: root });
    expect(mapper.paths.dir).toBe(join(root, '.claude', 'state'));
    await mapper.mapToExternal('T1', 'github');
    expect(Object.keys(await snapshotData(join(root, '.claude', 'state'))).sort()).toEqual([
      COUNTERS,
      MAPPING,
    ]);
    const nested = new ExternalIdMapper({ stateDir: join(root, 'a', 'b', 'c') });
    await nested.mapToExternal('T1', 'github');
    expect(await readJsonFile(join(root, 'a', 'b', 'c', MAPPING))).toMatchObject({
      mappings: { T1: { github: '1' } },
    });
  });
});

describe('load', () => {
  it('loads existing mappings (the spec example)', async () => {
    const mapper = new ExternalIdMapper({ stateDir: await specStateDir() });
    expect(await mapper.list()).toEqual([
      {
        internalId: 'TASK-E01-b2c4',
        ids: { jira: 'PROJ-456', azure_devops: '1234', linear: 'TEAM-789', github: '234' },
      },
    ]);
  });

  it('reads a missing file as empty and creates nothing', async () => {
    const { dir, mapper } = await freshMapper();
    expect(await mapper.list()).toEqual([]);
    expect(await mapper.getExternal('T1', 'jira')).toBeUndefined();
    expect(await mapper.getInternal('jira', 'PROJ-1')).toBeUndefined();
    expect(await snapshot(dirname(dir))).toEqual({});
  });

  it('restores a corrupt file from its .bak, quarantines it and reports it', async () => {
    const reports: StateRecovery[] = [];
    const { dir, mapper } = await freshMapper({ onRecover: (report) => reports.push(report) });
    await mapper.mapToExternal('T1', 'jira');
    await mapper.mapToExternal('T2', 'jira');
    const good = await readFile(join(dir, `${MAPPING}.bak`), 'utf8');
    await writeFile(join(dir, MAPPING), '{"version": "1.0", "mappings": {');
    const other = new ExternalIdMapper({ stateDir: dir, onRecover: (r) => reports.push(r) });
    expect(await other.list()).toEqual([{ internalId: 'T1', ids: { jira: 'PROJ-1' } }]);
    expect(reports).toHaveLength(1);
    const report = reports[0] as StateRecovery;
    expect(report).toMatchObject({
      path: join(dir, MAPPING),
      reason: 'corrupt',
      restoredFrom: join(dir, `${MAPPING}.bak`),
    });
    expect(report.error).toBeInstanceOf(CorruptFileError);
    expect(report.error?.line).toBe(1);
    expect(await readFile(report.quarantinedTo ?? '', 'utf8')).toBe(
      '{"version": "1.0", "mappings": {',
    );
    expect(await readFile(join(dir, MAPPING), 'utf8')).toBe(good);
    // The counters still say PROJ-2 was handed out: the next id is PROJ-3, not a second PROJ-2.
    expect(await other.mapToExternal('T3', 'jira')).toBe('PROJ-3');
  });

  it('refuses, with recovery options, a corrupt file that has no backup (deviation)', async () => {
    const { dir, mapper } = await freshMapper();
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, MAPPING), 'not json');
    const before = await snapshot(dir);
    const error = await mapper.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateUnreadableError);
    const unreadable = error as StateUnreadableError;
    expect(unreadable.code).toBe('VELLUM_STATE_UNREADABLE');
    expect(unreadable.path).toBe(join(dir, MAPPING));
    expect(unreadable.backupPath).toBe(join(dir, `${MAPPING}.bak`));
    expect(unreadable.cause).toBeInstanceOf(CorruptFileError);
    expect(unreadable.recovery).toHaveLength(2);
    expect(unreadable.recovery[0]).toMatch(/^restore a good copy/);
    expect(unreadable.recovery[1]).toContain("mapper.reset('mappings')");
    expect(unreadable.message).toContain('Nothing was written');
    await expect(mapper.mapToExternal('T1', 'jira')).rejects.toBeInstanceOf(StateUnreadableError);
    expect(await snapshotData(dir)).toEqual(before);
  });

  it('loads existing counters (the spec example)', async () => {
    const mapper = new ExternalIdMapper({ stateDir: await specStateDir() });
    expect(await mapper.getCounters()).toEqual({
      jira: { PROJ: 457, TEST: 12 },
      azure_devops: 1235,
      linear: { TEAM: 789, DESIGN: 45 },
      github: 234,
    });
  });

  it('reads missing counters as defaults, raised to cover the mappings', async () => {
    const { mapper } = await freshMapper();
    expect(await mapper.getCounters()).toEqual({
      jira: {},
      azure_devops: 0,
      linear: {},
      github: 0,
    });
    const dir = await specStateDir();
    await rm(join(dir, COUNTERS));
    const legacy = new ExternalIdMapper({ stateDir: dir });
    expect(await legacy.getCounters()).toEqual({
      jira: { PROJ: 456 },
      azure_devops: 1234,
      linear: { TEAM: 789 },
      github: 234,
    });
    expect(await legacy.mapToExternal('TASK-2', 'jira')).toBe('PROJ-457');
  });

  it('validation catches structurally invalid data, naming the field', async () => {
    const reports: StateRecovery[] = [];
    const { dir, mapper } = await freshMapper({ onRecover: (report) => reports.push(report) });
    await mkdir(dir, { recursive: true });
    const invalid = { version: '1.0', updated: 'x', mappings: { T1: { github: 234 } } };
    await writeFile(join(dir, MAPPING), JSON.stringify(invalid, null, 2));
    const error = (await mapper.list().catch((e: unknown) => e)) as StateUnreadableError;
    expect(error).toBeInstanceOf(StateUnreadableError);
    const cause = error.cause as CorruptFileError;
    expect(cause.issues[0]?.path).toEqual(['mappings', 'T1', 'github']);
    expect(cause.line).toBe(6);
    // With a valid backup, the invalid file is replaced like an unparseable one.
    await writeJsonAtomic(join(dir, `${MAPPING}.bak`), {
      version: '1.0',
      updated: 'x',
      mappings: { T1: { github: '234' } },
    });
    expect(await mapper.getExternal('T1', 'github')).toBe('234');
    expect(reports).toHaveLength(1);
    // Counters: a negative number is invalid too.
    await writeFile(
      join(dir, COUNTERS),
      JSON.stringify({ version: '1.0', updated: 'x', counters: { github: -1 } }),
    );
    await expect(mapper.mapToExternal('T2', 'github')).rejects.toMatchObject({
      code: 'VELLUM_STATE_UNREADABLE',
      path: join(dir, COUNTERS),
    });
  });

  it('after a restore, later reads take the normal path (no second recovery)', async () => {
    const reports: StateRecovery[] = [];
    const { dir, mapper } = await freshMapper({ onRecover: (report) => reports.push(report) });
    await mapper.mapToExternal('T1', 'github');
    await mapper.mapToExternal('T2', 'github');
    await writeFile(join(dir, MAPPING), '');
    expect(await mapper.getExternal('T1', 'github')).toBe('1');
    for (let i = 0; i < 3; i++) expect(await mapper.getInternal('github', '1')).toBe('T1');
    expect(await mapper.mapToExternal('T2', 'github')).toBe('3');
    expect(reports).toHaveLength(1);
    const quarantined = (await readdir(dir)).filter((name) => name.includes('.corrupt-'));
    expect(quarantined).toHaveLength(1);
  });

  it('restores a file that was deleted while its .bak remains', async () => {
    const reports: StateRecovery[] = [];
    const { dir, mapper } = await freshMapper({ onRecover: (report) => reports.push(report) });
    await mapper.mapToExternal('T1', 'github');
    await mapper.mapToExternal('T2', 'github');
    const backup = await readFile(join(dir, `${MAPPING}.bak`), 'utf8');
    await rm(join(dir, MAPPING));
    expect(await mapper.list()).toEqual([{ internalId: 'T1', ids: { github: '1' } }]);
    expect(reports).toEqual([
      {
        path: join(dir, MAPPING),
        reason: 'missing',
        restoredFrom: join(dir, `${MAPPING}.bak`),
        quarantinedTo: undefined,
        error: undefined,
      },
    ]);
    expect(await readFile(join(dir, MAPPING), 'utf8')).toBe(backup);
    // A deleted file whose backup is unreadable too is refused like a corrupt one.
    await rm(join(dir, MAPPING));
    await writeFile(join(dir, `${MAPPING}.bak`), '{');
    await expect(mapper.list()).rejects.toBeInstanceOf(StateUnreadableError);
  });

  it('emits a process warning for a repair when nobody listens', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'github');
    await mapper.mapToExternal('T2', 'github');
    await writeFile(join(dir, MAPPING), '[');
    const warnings: Error[] = [];
    const listener = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', listener);
    try {
      await mapper.list();
      // Warnings are delivered on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    expect(warnings.map((w) => (w as Error & { code?: string }).code)).toEqual([
      'VELLUM_RECOVERED_FROM_BACKUP',
    ]);
    expect(warnings[0]?.message).toContain('corrupt file kept at');
  });

  it('leaves a file of a newer major version alone', async () => {
    const { dir, mapper } = await freshMapper();
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, MAPPING),
      JSON.stringify({ version: '2.0', updated: 'x', mappings: {} }),
    );
    const before = await snapshot(dir);
    const error = await mapper.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedVersionError);
    expect(error).toMatchObject({ code: 'VELLUM_UNSUPPORTED_VERSION', version: '2.0' });
    await expect(mapper.mapToExternal('T', 'github')).rejects.toBeInstanceOf(
      UnsupportedVersionError,
    );
    expect(await snapshotData(dir)).toEqual(before);
  });
});

describe('save', () => {
  it('creates the mapping file on the first mapping', async () => {
    const { dir, mapper } = await freshMapper();
    expect(await mapper.mapToExternal('T1', 'jira', 'TEST')).toBe('TEST-1');
    expect(await readJsonFile(join(dir, MAPPING))).toMatchObject({
      version: '1.0',
      mappings: { T1: { jira: 'TEST-1' } },
    });
  });

  it('updates the timestamp on each save', async () => {
    const now = fixedClock('2025-01-01T00:00:00Z', '2025-06-01T12:00:00Z');
    const { dir, mapper } = await freshMapper({ now });
    await mapper.mapToExternal('T1', 'github');
    expect(await readJsonFile(join(dir, MAPPING))).toMatchObject({
      updated: '2025-01-01T00:00:00.000Z',
    });
    await mapper.mapToExternal('T2', 'github');
    expect(await readJsonFile(join(dir, MAPPING))).toMatchObject({
      updated: '2025-06-01T12:00:00.000Z',
    });
    expect(await readJsonFile(join(dir, COUNTERS))).toMatchObject({
      updated: '2025-06-01T12:00:00.000Z',
    });
  });

  it('preserves existing data, including fields and tools it does not know', async () => {
    const { dir, mapper } = await freshMapper();
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, MAPPING),
      JSON.stringify({
        version: '1.0',
        updated: '2025-11-10T14:45:00.123456+00:00',
        owner: 'team-a',
        mappings: { OLD: { jira: 'PROJ-9', gitlab: '77' } },
      }),
    );
    await mapper.mapToExternal('NEW', 'jira');
    expect(await readJsonFile(join(dir, MAPPING))).toMatchObject({
      owner: 'team-a',
      mappings: { OLD: { jira: 'PROJ-9', gitlab: '77' }, NEW: { jira: 'PROJ-10' } },
    });
  });

  it('saves counters next to the mappings', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'jira', 'PROJ');
    await mapper.mapToExternal('T2', 'jira', 'OPS');
    await mapper.mapToExternal('T2', 'linear', 'DESIGN');
    await mapper.mapToExternal('T3', 'azure_devops');
    expect(await readJsonFile(join(dir, COUNTERS))).toMatchObject({
      version: '1.0',
      counters: { jira: { PROJ: 1, OPS: 1 }, linear: { DESIGN: 1 }, azure_devops: 1, github: 0 },
    });
  });

  it('publishes only while holding the lock: a lost lock publishes nothing', async () => {
    let steal = false;
    const { fs } = recordingFs(async (call) => {
      // Between keeping the backup and the rename, another process "takes over" the lock.
      if (steal && call.op === 'rename' && call.to?.endsWith(`${COUNTERS}.bak`)) {
        steal = false;
        await rm(join(dirname(call.to), '.vellum-external-ids.lock'), {
          recursive: true,
          force: true,
        });
      }
    });
    const { dir, mapper } = await freshMapper({ fs });
    await mapper.mapToExternal('T1', 'github');
    const mapping = await readFile(join(dir, MAPPING), 'utf8');
    const counters = await readFile(join(dir, COUNTERS), 'utf8');
    steal = true;
    await expect(mapper.mapToExternal('T2', 'github')).rejects.toBeInstanceOf(LockCompromisedError);
    expect(await readFile(join(dir, MAPPING), 'utf8')).toBe(mapping);
    expect(await readFile(join(dir, COUNTERS), 'utf8')).toBe(counters);
    expect(await mapper.mapToExternal('T2', 'github')).toBe('2');
  });

  it('creates missing parent directories', async () => {
    const root = await tempDir();
    const dir = join(root, 'deep', 'er', 'state');
    const mapper = new ExternalIdMapper({ stateDir: dir });
    await mapper.recordExternal('T1', 'github', '42');
    expect(await readJsonFile(join(dir, MAPPING))).toMatchObject({
      mappings: { T1: { github: '42' } },
    });
  });
});

describe('backup and restore', () => {
  it('creates a backup on the second write of each file', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'github');
    expect(Object.keys(await snapshotData(dir)).sort()).toEqual([COUNTERS, MAPPING]);
    await mapper.mapToExternal('T2', 'github');
    expect(Object.keys(await snapshotData(dir)).sort()).toEqual([
      COUNTERS,
      `${COUNTERS}.bak`,
      MAPPING,
      `${MAPPING}.bak`,
    ]);
  });

  it('keeps a valid backup and the old file when a write fails', async () => {
    let fail = false;
    const { fs } = recordingFs((call) => {
      if (fail && call.op === 'rename' && call.to?.endsWith(`/${COUNTERS}`)) {
        throw errno('EIO');
      }
    });
    const { dir, mapper } = await freshMapper({ fs });
    await mapper.mapToExternal('T1', 'github');
    await mapper.mapToExternal('T2', 'github');
    const before = await readFile(join(dir, COUNTERS), 'utf8');
    fail = true;
    await expect(mapper.mapToExternal('T3', 'github')).rejects.toBeInstanceOf(WriteError);
    expect(await readFile(join(dir, COUNTERS), 'utf8')).toBe(before);
    expect(await readJsonFile(join(dir, `${COUNTERS}.bak`))).toMatchObject({
      counters: { github: expect.any(Number) as unknown },
    });
  });

  it('restores counters from a backup one generation old without a duplicate', async () => {
    const { dir, mapper } = await freshMapper({ onRecover: () => undefined });
    for (let i = 1; i <= 3; i++) await mapper.mapToExternal(`T${i}`, 'jira');
    // The .bak says PROJ: 2, but PROJ-3 is mapped: reconciliation keeps it from being reissued.
    expect(await readJsonFile(join(dir, `${COUNTERS}.bak`))).toMatchObject({
      counters: { jira: { PROJ: 2 } },
    });
    await writeFile(join(dir, COUNTERS), '{"version":');
    expect(await mapper.mapToExternal('T4', 'jira')).toBe('PROJ-4');
  });

  it('refuses when no backup exists for a corrupt counters file (deviation)', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T1', 'github');
    await writeFile(join(dir, COUNTERS), 'garbage');
    const before = await snapshot(dir);
    const error = (await mapper
      .mapToExternal('T2', 'github')
      .catch((e: unknown) => e)) as StateUnreadableError;
    expect(error).toBeInstanceOf(StateUnreadableError);
    expect(error.recovery[1]).toContain("mapper.reset('counters')");
    expect(error.recovery[1]).toContain('rebuilt from the mappings');
    expect(await snapshot(dir)).toEqual(before);
    // Lookups do not need the counters and keep working.
    expect(await mapper.getExternal('T1', 'github')).toBe('1');
    expect(await mapper.mapToExternal('T1', 'github')).toBe('1');
  });

  it('keeps exactly one generation: the .bak is always the version before the current one', async () => {
    const { dir, mapper } = await freshMapper();
    const versions: string[] = [];
    for (let i = 1; i <= 4; i++) {
      await mapper.mapToExternal(`T${i}`, 'github');
      versions.push(await readFile(join(dir, MAPPING), 'utf8'));
    }
    expect(await readFile(join(dir, `${MAPPING}.bak`), 'utf8')).toBe(versions[2]);
    expect((await readdir(dir)).filter((name) => name.includes('.bak'))).toHaveLength(2);
  });
});
