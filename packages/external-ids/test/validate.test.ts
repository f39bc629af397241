import { stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ExternalIdMapper, ValidationError } from '../src/index.js';
import { freshMapper, snapshot, specStateDir } from './helpers/setup.js';

/** Calls `fn` expecting a ValidationError and returns its issues. */
async function issuesOf(fn: () => Promise<unknown>): Promise<{ path: string; message: string }[]> {
  const error = await fn().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ValidationError);
  const validation = error as ValidationError;
  expect(validation.code).toBe('VELLUM_VALIDATION');
  return validation.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

// Deliberately ill-typed arguments, as JavaScript callers could pass them.
const bad = <T>(value: unknown): T => value as T;

describe('input checks', () => {
  it('rejects an unknown tool, naming the valid ones, and creates nothing', async () => {
    const { dir, mapper } = await freshMapper();
    const issues = await issuesOf(() => mapper.mapToExternal('TASK-1', bad('gitlab')));
    expect(issues).toEqual([
      {
        path: 'tool',
        message: 'must be one of jira, azure_devops, linear, github, got "gitlab"',
      },
    ]);
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each([
    ['lowercase', 'proj'],
    ['a dash', 'PR-OJ'],
    ['one letter (Jira needs two)', 'P'],
    ['empty', ''],
    ['a leading digit', '1PROJ'],
  ])('rejects a Jira project key with %s', async (_name, key) => {
    const { mapper } = await freshMapper();
    const issues = await issuesOf(() => mapper.mapToExternal('TASK-1', 'jira', key));
    expect(issues.map((issue) => issue.path)).toEqual(['projectKey']);
  });

  it('rejects a malformed default project key when it is used', async () => {
    const { mapper } = await freshMapper({ defaultProjectKey: 'bad key' });
    expect(await issuesOf(() => mapper.mapToExternal('TASK-1', 'linear'))).toMatchObject([
      { path: 'projectKey' },
    ]);
    // Tools without keys never look at it.
    await expect(mapper.mapToExternal('TASK-1', 'github')).resolves.toBe('1');
  });

  it('rejects a project key for tools that have a single counter', async () => {
    const { mapper } = await freshMapper();
    for (const tool of ['github', 'azure_devops'] as const) {
      expect(await issuesOf(() => mapper.mapToExternal('TASK-1', tool, 'PROJ'))).toEqual([
        {
          path: 'projectKey',
          message: `is only used by jira and linear; ${tool} has a single counter`,
        },
      ]);
    }
  });

  it('reports every bad argument at once', async () => {
    const { mapper } = await freshMapper();
    const issues = await issuesOf(() => mapper.mapToExternal(bad(42), 'jira', bad(7)));
    expect(issues).toEqual([
      { path: 'internalId', message: 'must be a string, got number' },
      { path: 'projectKey', message: 'must be a string, got number' },
    ]);
    const error = await mapper.mapToExternal(bad(null), bad('x')).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'invalid external-ids arguments: internalId: must be a string, got null; ' +
        'tool: must be one of jira, azure_devops, linear, github, got "x"',
    );
  });

  it.each([
    ['empty', ''],
    ['a path separator', 'a/b'],
    ['a control character', 'a\u0000b'],
    ['"__proto__"', '__proto__'],
    ['a trailing space', 'TASK-1 '],
  ])('rejects an internal id that is %s', async (_name, id) => {
    const { mapper } = await freshMapper();
    expect(await issuesOf(() => mapper.mapToExternal(id, 'github'))).toMatchObject([
      { path: 'internalId' },
    ]);
    expect(await issuesOf(() => mapper.getExternal(id, 'github'))).toMatchObject([
      { path: 'internalId' },
    ]);
    expect(await issuesOf(() => mapper.unmap(id))).toMatchObject([{ path: 'internalId' }]);
  });

  it.each([
    ['jira', 456, 'must be a string, got number'],
    ['github', 234, 'must be a string, got number'],
    ['github', null, 'must be a string, got null'],
    ['github', ['234'], 'must be a string, got an array'],
    ['jira', 'proj-456', '"proj-456" must be KEY-N for jira'],
    ['jira', 'PROJ-0', '"PROJ-0" must be KEY-N for jira'],
    ['linear', 'TEAM_1-3', '"TEAM_1-3" must be KEY-N for linear'],
    ['azure_devops', '12a', '"12a" must be a positive integer'],
    ['github', '#234', '"#234" must be a positive integer'],
    ['github', '99999999999999999999', 'has a number above'],
  ] as const)('recordExternal rejects %s id %j', async (tool, externalId, message) => {
    const { dir, mapper } = await freshMapper();
    const issues = await issuesOf(() => mapper.recordExternal('TASK-1', tool, bad(externalId)));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('externalId');
    expect(issues[0]?.message).toContain(message);
    expect(await snapshot(dir)).toEqual({});
  });

  it('recordExternal checks its options', async () => {
    const { mapper } = await freshMapper();
    expect(
      await issuesOf(() => mapper.recordExternal('T', 'github', '1', bad({ replace: 'yes' }))),
    ).toEqual([{ path: 'options.replace', message: 'must be a boolean, got "yes"' }]);
    expect(await issuesOf(() => mapper.recordExternal('T', 'github', '1', bad(true)))).toEqual([
      { path: 'options', message: 'must be an object, got boolean' },
    ]);
  });

  it('checks lookups, unmap, reset and sync metadata', async () => {
    const { mapper } = await freshMapper();
    expect(await issuesOf(() => mapper.getInternal(bad('svn'), ''))).toEqual([
      { path: 'tool', message: 'must be one of jira, azure_devops, linear, github, got "svn"' },
      { path: 'externalId', message: 'must not be empty' },
    ]);
    expect(await issuesOf(() => mapper.getInternal('github', bad(234)))).toEqual([
      { path: 'externalId', message: 'must be a string, got number' },
    ]);
    expect(await issuesOf(() => mapper.unmap('T', bad('svn')))).toMatchObject([{ path: 'tool' }]);
    expect(await issuesOf(() => mapper.reset(bad('everything')))).toEqual([
      { path: 'target', message: 'must be one of mappings, counters, sync, all, got "everything"' },
    ]);
    expect(await issuesOf(() => mapper.getSyncMetadata('T', bad('svn')))).toMatchObject([
      { path: 'tool' },
    ]);
    expect(await issuesOf(() => mapper.updateSyncMetadata('T', 'jira', bad(null)))).toEqual([
      { path: 'metadata', message: 'must be an object, got null' },
    ]);
    expect(
      await issuesOf(() =>
        mapper.updateSyncMetadata(
          'T',
          'jira',
          bad({
            lastSyncedAt: 'yesterday',
            contentHash: '',
            remoteVersion: Number.NaN,
            etag: 'x',
          }),
        ),
      ),
    ).toEqual([
      {
        path: 'metadata.etag',
        message: 'is not a sync field (lastSyncedAt, contentHash, remoteVersion)',
      },
      {
        path: 'metadata.lastSyncedAt',
        message: 'must be a valid Date or ISO 8601 string, got "yesterday"',
      },
      { path: 'metadata.contentHash', message: 'must not be empty' },
      {
        path: 'metadata.remoteVersion',
        message: 'must be a non-empty string or a finite number, got number',
      },
    ]);
    expect(
      await issuesOf(() =>
        mapper.updateSyncMetadata('T', 'jira', { lastSyncedAt: new Date(Number.NaN) }),
      ),
    ).toMatchObject([{ path: 'metadata.lastSyncedAt' }]);
    expect(
      await issuesOf(() => mapper.updateSyncMetadata('T', 'jira', bad({ lastSyncedAt: 5 }))),
    ).toMatchObject([{ path: 'metadata.lastSyncedAt' }]);
  });

  it('writes nothing to an existing directory when an argument is rejected', async () => {
    const dir = await specStateDir();
    const before = await snapshot(dir);
    const mapper = new ExternalIdMapper({ stateDir: dir });
    await expect(mapper.mapToExternal('TASK-1', bad('trello'))).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(mapper.recordExternal('TASK-1', 'github', bad(5))).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      mapper.updateSyncMetadata('TASK-E01-b2c4', 'jira', bad({ remoteVersion: {} })),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await snapshot(dir)).toEqual(before);
  });
});
