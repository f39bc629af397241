/** Spec 003's example documents (test/fixtures, verbatim) as an existing directory. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExternalIdMapper } from '../src/index.js';
import {
  fixturesDir,
  readJsonFile,
  snapshot,
  snapshotData,
  specStateDir,
  tempDir,
} from './helpers/setup.js';

const MAPPING = 'external_id_mapping.json';
const COUNTERS = 'external_id_counters.json';

describe('the spec example directory', () => {
  it('opens unchanged: reads from two instances change no byte and create no file', async () => {
    const dir = await specStateDir();
    const before = await snapshot(dir);
    const mappers = [
      new ExternalIdMapper({ stateDir: dir }),
      new ExternalIdMapper({ stateDir: dir }),
    ];
    for (const mapper of mappers) {
      expect(await mapper.getExternal('TASK-E01-b2c4', 'jira')).toBe('PROJ-456');
      expect(await mapper.getExternal('TASK-E01-b2c4', 'azure_devops')).toBe('1234');
      expect(await mapper.getInternal('linear', 'TEAM-789')).toBe('TASK-E01-b2c4');
      expect(await mapper.getInternal('github', '234')).toBe('TASK-E01-b2c4');
      expect(await mapper.list()).toHaveLength(1);
      expect(await mapper.getCounters()).toEqual({
        jira: { PROJ: 457, TEST: 12 },
        azure_devops: 1235,
        linear: { TEAM: 789, DESIGN: 45 },
        github: 234,
      });
    }
    expect(await snapshot(dir)).toEqual(before);
    for (const mapper of mappers) {
      // Already mapped: the existing ids, and still no data written (only its locks were taken).
      expect(await mapper.mapToExternal('TASK-E01-b2c4', 'jira')).toBe('PROJ-456');
      expect(await mapper.mapToExternal('TASK-E01-b2c4', 'github')).toBe('234');
    }
    expect(await snapshotData(dir)).toEqual(before);
  });

  it('keeps working: every counter continues where the spec example left it', async () => {
    const dir = await specStateDir();
    const mapper = new ExternalIdMapper({ stateDir: dir });
    expect(await mapper.mapToExternal('TASK-2', 'jira')).toBe('PROJ-458');
    expect(await mapper.mapToExternal('TASK-2', 'linear', 'TEAM')).toBe('TEAM-790');
    expect(await mapper.mapToExternal('TASK-2', 'azure_devops')).toBe('1236');
    expect(await mapper.mapToExternal('TASK-2', 'github')).toBe('235');
    expect(await mapper.mapToExternal('TASK-3', 'jira', 'TEST')).toBe('TEST-13');
    expect(await mapper.mapToExternal('TASK-3', 'linear', 'DESIGN')).toBe('DESIGN-46');
    expect(await mapper.mapToExternal('TASK-4', 'jira', 'NEW')).toBe('NEW-1');
    expect(await mapper.getInternal('jira', 'PROJ-456')).toBe('TASK-E01-b2c4');

    // Still spec 003's formats, with the original mapping untouched.
    const mapping = (await readJsonFile(join(dir, MAPPING))) as Record<string, unknown>;
    expect(Object.keys(mapping).sort()).toEqual(['mappings', 'updated', 'version']);
    expect(mapping.version).toBe('1.0');
    expect(mapping.mappings).toMatchObject({
      'TASK-E01-b2c4': {
        jira: 'PROJ-456',
        azure_devops: '1234',
        linear: 'TEAM-789',
        github: '234',
      },
      'TASK-2': { jira: 'PROJ-458', linear: 'TEAM-790', azure_devops: '1236', github: '235' },
    });
    const counters = (await readJsonFile(join(dir, COUNTERS))) as Record<string, unknown>;
    expect(Object.keys(counters).sort()).toEqual(['counters', 'updated', 'version']);
    expect(counters.counters).toEqual({
      jira: { PROJ: 458, TEST: 13, NEW: 1 },
      azure_devops: 1236,
      linear: { TEAM: 790, DESIGN: 46 },
      github: 235,
    });
  });

  it('the first write keeps the spec example byte for byte as the .bak', async () => {
    const dir = await specStateDir();
    await new ExternalIdMapper({ stateDir: dir }).mapToExternal('TASK-2', 'github');
    for (const name of [MAPPING, COUNTERS]) {
      expect(await readFile(join(dir, `${name}.bak`), 'utf8')).toBe(
        await readFile(join(fixturesDir, name), 'utf8'),
      );
    }
  });

  it('reads files as Python’s json.dump(sort_keys=True) and isoformat() wrote them', async () => {
    const dir = join(await tempDir(), 'state');
    await mkdir(dir, { recursive: true });
    const updated = '2025-11-10T14:45:00.123456+00:00';
    // Python's separators with indent=2: ", " never appears at line ends, ": " between key and value.
    await writeFile(
      join(dir, MAPPING),
      `{\n  "mappings": {\n    "TASK-001": {\n      "github": "9",\n      "jira": "PROJ-3"\n    }\n  },\n  "updated": "${updated}",\n  "version": "1.0"\n}`,
    );
    await writeFile(
      join(dir, COUNTERS),
      `{\n  "counters": {\n    "azure_devops": 0,\n    "github": 9,\n    "jira": {\n      "PROJ": 3\n    },\n    "linear": {}\n  },\n  "updated": "${updated}",\n  "version": "1.0"\n}`,
    );
    const mapper = new ExternalIdMapper({ stateDir: dir });
    expect(await mapper.getExternal('TASK-001', 'jira')).toBe('PROJ-3');
    expect(await mapper.mapToExternal('TASK-002', 'github')).toBe('10');
  });
});
