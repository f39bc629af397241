// `vellum tasks ...` end to end: every subcommand in human and --json form, its
// errors and exit codes, bad input that must leave the store byte-identical, and
// concurrent writers.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectExit,
  expectHumanError,
  expectJsonError,
  expectOk,
  expectSameStore,
  monthOf,
  okJson,
  removeTempRoots,
  SEED_TASKS,
  seeded,
  snapshot,
  useEveryCollection,
  SUITE_TIMEOUT_MS,
  tempRoot,
  vellumIn,
  writeLines,
  type RunResult,
  type Vellum,
} from './helpers.js';
import { spawnVellumIn } from './spawn.js';

interface Task {
  id: string;
  content: string;
  status: string;
  priority: string;
  metadata: Record<string, unknown> & { created_at: string; updated_at: string };
  relationships?: { depends_on?: string[]; blocks?: string[] };
  [member: string]: unknown;
}
interface Page<T> {
  items: T[];
  total: number;
  nextCursor?: string;
}

afterAll(removeTempRoots);

const activeFile = (root: string, id: string): string =>
  join(root, '.ap-state', 'tasks', 'active', `${id}.json`);

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

const MISSING = 'TASK-404-404';

/** [arguments, exit code, error code, what the message mentions] */
type Refusal = [string[], number, string, string];

/**
 * Runs each refused command once, every other
 * one with --json, checks its exit code and error, and that the store is
 * byte-identical afterwards.
 */
async function expectRefusals(root: string, v: Vellum, cases: readonly Refusal[]): Promise<void> {
  for (const [i, [args, exit, code, mentions]] of cases.entries()) {
    const what = `vellum ${args.join(' ')}`;
    const before = await snapshot(root);
    const said = (text: string): void => {
      expect(text, what).toContain(mentions);
      // the way out is named in CLI terms, never as a library call such as repairTail()
      expect(text, what).not.toMatch(/\w\(\)/);
    };
    if (i % 2 === 0) {
      const human = expectHumanError(await v(...args), exit, code);
      said(human.stderr);
      // one line, ending with what to do next
      expect(human.stderr, what).toMatch(/^[^\n]+\n$/);
      if (code === 'VELLUM_NOT_FOUND')
        expect(human.stderr, what).toMatch(/\(check the [^\n]*\)\n$/);
      if (code === 'VELLUM_VALIDATION')
        expect(human.stderr, what).toMatch(/\(fix the input and run the command again\)\n$/);
      if (code === 'VELLUM_CONFLICT')
        expect(human.stderr, what).toMatch(/\(it changed or exists already: [^\n]*\)\n$/);
    } else {
      const json = expectJsonError(await v(...args, '--json'), exit, code);
      said(json.error.message);
      if (code === 'VELLUM_VALIDATION' && args[0] !== 'ids')
        expect(json.error.details, what).toMatchObject({ issues: expect.any(Array) as unknown });
    }
    expectSameStore(before, await snapshot(root), what);
  }
}

describe.concurrent('vellum tasks', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('add, get, list and search, in human and --json form', async () => {
    const root = await tempRoot('tasks-read');
    const v = vellumIn(root);

    // add: human
    const added = expectOk(
      await v(
        'tasks',
        'add',
        'Design the login form',
        '--story',
        '1',
        '--priority',
        'high',
        '--story-id',
        'STORY-001',
        '--persona',
        'architect',
      ),
    );
    expect(added.stdout).toMatch(/^created TASK-001-001 +pending +high +Design the login form\n$/);

    // add: --json, with a dependency, the whole document back
    const second = okJson<Task>(
      await v(
        'tasks',
        'add',
        'Build the login form',
        '--story',
        '1',
        '--story-id',
        'STORY-001',
        '--persona',
        'dev',
        '--depends-on',
        'TASK-001-001',
        '--json',
      ),
    );
    expect(second).toMatchObject({
      id: 'TASK-001-002',
      content: 'Build the login form',
      status: 'pending',
      priority: 'medium',
      metadata: { story_id: 'STORY-001', persona: 'dev' },
      relationships: { depends_on: ['TASK-001-001'] },
    });
    expect(Date.parse(second.metadata.created_at)).not.toBeNaN();

    // a subtask, an explicit id, another story, a status
    const sub = okJson<Task>(
      await v('tasks', 'add', 'Style the form', '--parent', 'TASK-001-001', '--json'),
    );
    expect(sub.id).toBe('TASK-001-001-1');
    const explicit = okJson<Task>(
      await v('tasks', 'add', 'Pick a font', '--id', 'TASK-009-042', '--json'),
    );
    expect(explicit.id).toBe('TASK-009-042');
    const billing = okJson<Task>(
      await v(
        'tasks',
        'add',
        'Set up billing',
        '--story',
        '2',
        '--priority',
        'low',
        '--status',
        'blocked',
        '--json',
      ),
    );
    expect(billing).toMatchObject({ id: 'TASK-002-001', status: 'blocked', priority: 'low' });

    // the files are where spec 000 puts them
    const doc = await readJson<Task>(activeFile(root, 'TASK-001-001'));
    expect(doc).toMatchObject({
      id: 'TASK-001-001',
      relationships: { blocks: ['TASK-001-002'] },
    });

    // get: human is the document; --json the same document; --fields picks dotted paths
    const got = expectOk(await v('tasks', 'get', 'TASK-001-001'));
    expect(JSON.parse(got.stdout)).toEqual(doc);
    expect(okJson(await v('tasks', 'get', 'TASK-001-001', '--json'))).toEqual(doc);
    expect(
      okJson(await v('tasks', 'get', 'TASK-001-002', '--fields', 'id,metadata.persona', '--json')),
    ).toEqual({ id: 'TASK-001-002', metadata: { persona: 'dev' } });

    // list: human rows and a count
    const listed = expectOk(await v('tasks', 'list'));
    const rows = listed.stdout.trimEnd().split('\n');
    expect(rows.at(-1)).toBe('5 of 5');
    expect(rows.slice(0, -1).map((r) => r.split(/\s+/)[0])).toEqual([
      'TASK-001-001',
      'TASK-001-001-1',
      'TASK-001-002',
      'TASK-002-001',
      'TASK-009-042',
    ]);
    expect(listed.stdout).toMatch(
      /TASK-001-002 +pending +medium +Build the login form <- TASK-001-001/,
    );

    // list --json: filters
    const pendingStory = okJson<Page<Task>>(
      await v('tasks', 'list', '--status', 'pending', '--story', 'STORY-001', '--json'),
    );
    expect(pendingStory.items.map((t) => t.id)).toEqual(['TASK-001-001', 'TASK-001-002']);
    expect(pendingStory.total).toBe(2);
    const byPersona = okJson<Page<Task>>(
      await v(
        'tasks',
        'list',
        '--persona',
        'dev',
        '--priority',
        'medium,low',
        '--status',
        'blocked,pending',
        '--fields',
        'id',
        '--json',
      ),
    );
    expect(byPersona.items).toEqual([{ id: 'TASK-001-002' }]);

    // list --json: paging with --limit and --cursor visits every task once
    const first = okJson<Page<Task>>(
      await v('tasks', 'list', '--limit', '2', '--fields', 'id,status', '--json'),
    );
    expect(first.items).toHaveLength(2);
    expect(first.items[0]).toEqual({ id: 'TASK-001-001', status: 'pending' });
    expect(first.total).toBe(5);
    expect(typeof first.nextCursor).toBe('string');
    const seen = first.items.map((t) => t.id);
    let cursor = first.nextCursor;
    while (cursor !== undefined) {
      const page = okJson<Page<Task>>(
        await v('tasks', 'list', '--limit', '2', '--cursor', cursor, '--fields', 'id', '--json'),
      );
      seen.push(...page.items.map((t) => t.id));
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(rows.slice(0, -1).map((r) => r.split(/\s+/)[0]));
    // the human form tells how to go on
    expect(expectOk(await v('tasks', 'list', '--limit', '1')).stdout).toMatch(
      /\n1 of 5\nmore: --cursor \S+\n$/,
    );

    // search: human (score, then the row) and --json
    const found = expectOk(await v('tasks', 'search', 'login'));
    expect(found.stdout).toMatch(/^ *\d+\.\d\d {2}TASK-001-00[12] /);
    expect(found.stdout.trimEnd().split('\n')).toHaveLength(2);
    const hits = okJson<{ items: { id: string; score: number; doc: Task }[]; total: number }>(
      await v('tasks', 'search', 'billing', '--json'),
    );
    expect(hits.items.map((h) => h.id)).toEqual(['TASK-002-001']);
    expect(hits.items[0]?.doc.content).toBe('Set up billing');
    expect(hits.items[0]?.score).toBeGreaterThan(0);
    expect(expectOk(await v('tasks', 'search', 'zebra')).stdout).toBe('no match\n');
  });

  it('update, complete, reopen, ready, deps and delete, in human and --json form', async () => {
    const { root, v } = await seeded('tasks-write');

    // ready: only the task without open dependencies
    expect(expectOk(await v('tasks', 'ready')).stdout).toMatch(/^TASK-001-001 +pending +high /);
    expect(okJson<Page<Task>>(await v('tasks', 'ready', '--json'))).toMatchObject({
      items: [{ id: 'TASK-001-001' }],
      total: 1,
    });

    // update: human, then --json with --patch (merge patch) and the shortcuts together
    const updated = expectOk(await v('tasks', 'update', 'TASK-001-002', '--status', 'in_progress'));
    expect(updated.stdout).toMatch(/^updated TASK-001-002 +in_progress /);
    const patched = okJson<Task>(
      await v(
        'tasks',
        'update',
        'TASK-001-002',
        '--patch',
        '{"metadata":{"persona":"qa"},"priority":"low"}',
        '--content',
        'Build the login form (v2)',
        '--json',
      ),
    );
    expect(patched).toMatchObject({
      id: 'TASK-001-002',
      status: 'in_progress',
      priority: 'low',
      content: 'Build the login form (v2)',
      metadata: { persona: 'qa', story_id: 'STORY-001' },
    });
    expect(patched.metadata.updated_at >= patched.metadata.created_at).toBe(true);
    expect(await readJson<Task>(activeFile(root, 'TASK-001-002'))).toEqual(patched);
    // spec 000 documents are open: a member the schema does not name is kept (a merge patch of "any members")
    const extra = okJson<Task>(
      await v('tasks', 'update', 'TASK-001-002', '--patch', '{"estimate":3}', '--json'),
    );
    expect(extra.estimate).toBe(3);
    // back to pending so that `ready` can pick it up
    okJson(await v('tasks', 'update', 'TASK-001-002', '--status', 'pending', '--json'));

    // complete: moves the file to completed/YYYY-MM/; ready changes
    const completed = expectOk(await v('tasks', 'complete', 'TASK-001-001'));
    expect(completed.stdout).toMatch(/^completed TASK-001-001 +completed /);
    const done = okJson<Task>(await v('tasks', 'get', 'TASK-001-001', '--json'));
    expect(done.status).toBe('completed');
    const completedFile = join(
      root,
      '.ap-state',
      'tasks',
      'completed',
      monthOf(done.metadata.updated_at),
      'TASK-001-001.json',
    );
    expect(existsSync(completedFile)).toBe(true);
    expect(existsSync(activeFile(root, 'TASK-001-001'))).toBe(false);
    expect(okJson<Page<Task>>(await v('tasks', 'ready', '--json')).items.map((t) => t.id)).toEqual([
      'TASK-001-002',
    ]);
    const status = await readJson<Record<string, string[]>>(
      join(root, '.ap-state', 'tasks', 'index', 'by-status.json'),
    );
    expect(status.completed).toEqual(['TASK-001-001']);
    expect(status.pending).toEqual(['TASK-001-002']);

    // complete --json of an already completed task is still fine
    expect(okJson<Task>(await v('tasks', 'complete', 'TASK-001-001', '--json')).status).toBe(
      'completed',
    );

    // reopen: back to active/, pending
    expect(expectOk(await v('tasks', 'reopen', 'TASK-001-001')).stdout).toMatch(
      /^reopened TASK-001-001 +pending /,
    );
    expect(existsSync(activeFile(root, 'TASK-001-001'))).toBe(true);
    expect(existsSync(completedFile)).toBe(false);
    expect(okJson<Task>(await v('tasks', 'reopen', 'TASK-001-001', '--json')).status).toBe(
      'pending',
    );

    // deps: show, add, remove, set (blocks stays symmetric)
    expect(expectOk(await v('tasks', 'deps', 'TASK-001-002')).stdout).toBe(
      'TASK-001-002\n  depends on: TASK-001-001\n  blocks:     -\n',
    );
    expect(okJson(await v('tasks', 'deps', 'TASK-001-001', '--json'))).toEqual({
      id: 'TASK-001-001',
      depends_on: [],
      blocks: ['TASK-001-002'],
    });
    expectExit(await v('tasks', 'add', 'Test the login form', '--story', '1', '--quiet'), 0);
    expect(
      okJson(await v('tasks', 'deps', 'TASK-001-003', '--add', 'TASK-001-002', '--json')),
    ).toEqual({ id: 'TASK-001-003', depends_on: ['TASK-001-002'], blocks: [] });
    expect(okJson(await v('tasks', 'deps', 'TASK-001-002', '--json'))).toMatchObject({
      blocks: ['TASK-001-003'],
    });
    expect(
      okJson(
        await v('tasks', 'deps', 'TASK-001-003', '--set', 'TASK-001-001,TASK-001-002', '--json'),
      ),
    ).toMatchObject({ depends_on: ['TASK-001-001', 'TASK-001-002'] });
    expect(
      expectOk(await v('tasks', 'deps', 'TASK-001-003', '--remove', 'TASK-001-001')).stdout,
    ).toBe('TASK-001-003\n  depends on: TASK-001-002\n  blocks:     -\n');
    expect(okJson(await v('tasks', 'deps', 'TASK-001-003', '--set', '', '--json'))).toEqual({
      id: 'TASK-001-003',
      depends_on: [],
      blocks: [],
    });
    expect(okJson(await v('tasks', 'deps', 'TASK-001-002', '--json'))).toMatchObject({
      blocks: [],
    });

    // delete: human and --json, the links go too
    expect(expectOk(await v('tasks', 'delete', 'TASK-001-003')).stdout).toBe(
      'deleted TASK-001-003\n',
    );
    expect(okJson(await v('tasks', 'delete', 'TASK-001-001', '--json'))).toEqual({
      deleted: 'TASK-001-001',
    });
    expect(existsSync(activeFile(root, 'TASK-001-001'))).toBe(false);
    expect(okJson(await v('tasks', 'deps', 'TASK-001-002', '--json'))).toEqual({
      id: 'TASK-001-002',
      depends_on: [],
      blocks: [],
    });
    expect(okJson<Page<Task>>(await v('tasks', 'list', '--json')).total).toBe(1);
  });

  it('batch applies a JSONL file as one transaction', async () => {
    const { root, v } = await seeded('tasks-batch');
    const metadata = {
      created_at: '2026-02-01T10:00:00.000Z',
      updated_at: '2026-02-01T10:00:00.000Z',
      story_id: 'STORY-003',
    };
    const started = new Date().toISOString();
    const file = await writeLines(join(root, 'updates.jsonl'), [
      // patches ({id, ...members})
      { id: 'TASK-001-001', status: 'in_progress' },
      { id: 'TASK-001-002', priority: 'high', metadata: { persona: 'qa' } },
      // whole tasks; the first links to one further down the file
      {
        id: 'TASK-003-001',
        content: 'Write the release notes',
        status: 'pending',
        priority: 'low',
        metadata,
        relationships: { blocks: ['TASK-003-002'] },
      },
      {
        id: 'TASK-003-002',
        content: 'Publish the release',
        status: 'pending',
        priority: 'low',
        metadata,
      },
    ]);
    const result = okJson<{ written: number; created: string[]; updated: string[] }>(
      await v('tasks', 'batch', file, '--json'),
    );
    expect(result.written).toBe(4);
    expect([...result.created].sort()).toEqual(['TASK-003-001', 'TASK-003-002']);
    expect([...result.updated].sort()).toEqual(['TASK-001-001', 'TASK-001-002']);
    const all = okJson<Page<Task>>(await v('tasks', 'list', '--json'));
    expect(all.items.map((t) => [t.id, t.status, t.priority])).toEqual([
      ['TASK-001-001', 'in_progress', 'high'],
      ['TASK-001-002', 'pending', 'high'],
      ['TASK-003-001', 'pending', 'low'],
      ['TASK-003-002', 'pending', 'low'],
    ]);
    const [one, two, notes, publish] = all.items;
    expect(two?.metadata).toMatchObject({ persona: 'qa', story_id: 'STORY-001' });
    // a patch is a change: updated_at moves (a whole task keeps the one it gives)
    expect((one?.metadata.updated_at ?? '') >= started).toBe(true);
    expect((two?.metadata.updated_at ?? '') >= started).toBe(true);
    expect(two?.metadata.created_at).toBe(SEED_TASKS[1].metadata.created_at);
    expect(notes?.metadata.updated_at).toBe(metadata.updated_at);
    // the link is symmetric
    expect(notes?.relationships).toEqual({ blocks: ['TASK-003-002'] });
    expect(publish?.relationships).toEqual({ depends_on: ['TASK-003-001'] });
    expect(existsSync(activeFile(root, 'TASK-003-002'))).toBe(true);

    // human form
    const second = await writeLines(join(root, 'more.jsonl'), [
      { id: 'TASK-003-001', status: 'blocked' },
    ]);
    const applied = expectOk(await v('tasks', 'batch', second));
    expect(applied.stdout).toBe(
      'applied 0 created, 1 updated (1 tasks written, one transaction)\n',
    );
    const status = await readJson<Record<string, string[]>>(
      join(root, '.ap-state', 'tasks', 'index', 'by-status.json'),
    );
    expect(status).toEqual({
      blocked: ['TASK-003-001'],
      in_progress: ['TASK-001-001'],
      pending: ['TASK-001-002', 'TASK-003-002'],
    });
  });

  it('not found exits 3, conflicts 4, usage errors 2; the store stays byte-identical', async () => {
    const { root, v } = await seeded('tasks-not-found');
    await useEveryCollection(v);
    await expectRefusals(root, v, [
      [['tasks', 'get', MISSING], 3, 'VELLUM_NOT_FOUND', MISSING],
      // the other collections: nothing found is a failure, and records no metrics either
      [['integrations', 'get', 'IP-404'], 3, 'VELLUM_NOT_FOUND', 'IP-404'],
      [['state', 'get', 'story', 'STORY-404'], 3, 'VELLUM_NOT_FOUND', 'STORY-404'],
      [['sessions', 'get', 'no-such-session'], 3, 'VELLUM_NOT_FOUND', 'no-such-session'],
      [['workflows', 'get', 'no-such-workflow'], 3, 'VELLUM_NOT_FOUND', 'no-such-workflow'],
      [
        ['workflows', 'step', 'no-such-workflow', 'plan', 'running'],
        3,
        'VELLUM_NOT_FOUND',
        'no-such-workflow',
      ],
      // an id that is taken: a conflict, as when two processes create the same task
      [['tasks', 'add', 'x', '--id', 'TASK-001-001'], 4, 'VELLUM_CONFLICT', 'already exists'],
      [['tasks', 'add', 'x', '--id', 'TASK-001-002'], 4, 'VELLUM_CONFLICT', 'TASK-001-002'],
      [['tasks', 'update', MISSING, '--status', 'blocked'], 3, 'VELLUM_NOT_FOUND', MISSING],
      [['tasks', 'complete', MISSING], 3, 'VELLUM_NOT_FOUND', MISSING],
      [['tasks', 'delete', MISSING], 3, 'VELLUM_NOT_FOUND', MISSING],
      [['tasks', 'batch', 'no-such-file.jsonl'], 3, 'VELLUM_NOT_FOUND', 'no such file'],
      // refused by the CLI before the store is opened
      [['tasks', 'update', 'TASK-001-001'], 2, 'VELLUM_USAGE', 'nothing to change'],
      [
        ['tasks', 'update', 'TASK-001-001', '--patch', '{"status":'],
        2,
        'VELLUM_USAGE',
        '--patch is not valid JSON',
      ],
      [
        ['tasks', 'update', 'TASK-001-001', '--patch', 'status=blocked'],
        2,
        'VELLUM_USAGE',
        '--patch is not valid JSON',
      ],
    ]);
  });

  it('invalid input (schema, ids with ../, unknown links, cycles) exits 2; the store stays byte-identical', async () => {
    const { root, v } = await seeded('tasks-invalid');
    await expectRefusals(root, v, [
      // an id with ../ (or anything else that is not a task id) is invalid, in every command
      [['tasks', 'get', '../../etc/passwd'], 2, 'VELLUM_VALIDATION', 'not a task id'],
      [
        ['tasks', 'update', '../active/TASK-001-001', '--status', 'blocked'],
        2,
        'VELLUM_VALIDATION',
        'not a task id',
      ],
      [['tasks', 'complete', '../TASK-001-001'], 2, 'VELLUM_VALIDATION', 'not a task id'],
      [['tasks', 'reopen', 'TASK-001-001/..'], 2, 'VELLUM_VALIDATION', 'not a task id'],
      [['tasks', 'delete', '../../../etc/passwd'], 2, 'VELLUM_VALIDATION', 'not a task id'],
      [['tasks', 'add', '', '--story', '1'], 2, 'VELLUM_VALIDATION', 'content'],
      [['tasks', 'add', 'No story'], 2, 'VELLUM_VALIDATION', 'story'],
      [
        ['tasks', 'add', 'x', '--story', '1', '--depends-on', 'TASK-009-009'],
        2,
        'VELLUM_VALIDATION',
        'TASK-009-009',
      ],
      [['tasks', 'add', 'x', '--parent', MISSING], 2, 'VELLUM_VALIDATION', MISSING],
      [['tasks', 'add', 'x', '--id', '../../escape'], 2, 'VELLUM_VALIDATION', 'id'],
      [['tasks', 'add', 'x', '--parent', '../TASK-001-001'], 2, 'VELLUM_VALIDATION', 'parent'],
      [
        ['tasks', 'add', 'x', '--story', '1', '--depends-on', '../../etc/passwd'],
        2,
        'VELLUM_VALIDATION',
        'depends_on',
      ],
      [
        ['tasks', 'update', 'TASK-001-001', '--patch', '{"status":"done"}'],
        2,
        'VELLUM_VALIDATION',
        'status',
      ],
      [
        ['tasks', 'update', 'TASK-001-001', '--patch', '{"metadata":{"created_at":42}}'],
        2,
        'VELLUM_VALIDATION',
        'created_at',
      ],
      [['tasks', 'deps', 'TASK-001-001', '--add', 'TASK-001-002'], 2, 'VELLUM_VALIDATION', 'cycle'],
      [
        ['tasks', 'deps', 'TASK-001-002', '--add', '../TASK-001-001'],
        2,
        'VELLUM_VALIDATION',
        'depends_on',
      ],
      [['tasks', 'list', '--cursor', 'not-a-cursor'], 2, 'VELLUM_VALIDATION', 'cursor'],
      // a projection on a member tasks do not have would print `{}` for every task
      [['tasks', 'list', '--fields', 'id,nope'], 2, 'VELLUM_VALIDATION', '"nope"'],
      [['tasks', 'list', '--fields', 'stauts'], 2, 'VELLUM_VALIDATION', '"stauts"'],
      [
        ['tasks', 'get', 'TASK-001-001', '--fields', 'metdata.story_id'],
        2,
        'VELLUM_VALIDATION',
        '"metdata.story_id"',
      ],
    ]);
    // nothing escaped the store
    expect(existsSync(join(root, 'escape.json'))).toBe(false);
    expect(existsSync(join(root, '..', 'escape.json'))).toBe(false);
    expect((await readdir(join(root, '.ap-state', 'tasks', 'active'))).sort()).toEqual([
      'TASK-001-001.json',
      'TASK-001-002.json',
    ]);
  });

  it('a --patch that is no object, or that breaks metadata, and a filter outside the schema exit 2; the store stays byte-identical', async () => {
    const { root, v } = await seeded('tasks-bad-patch');
    const update = (patch: string): string[] => [
      'tasks',
      'update',
      'TASK-001-001',
      '--patch',
      patch,
    ];
    await expectRefusals(root, v, [
      // the merge patch would replace metadata (created_at, story_id, persona lost)
      [update('{"metadata":"s"}'), 2, 'VELLUM_VALIDATION', 'metadata'],
      [update('{"metadata":5}'), 2, 'VELLUM_VALIDATION', 'metadata'],
      [update('{"metadata":null}'), 2, 'VELLUM_VALIDATION', 'metadata'],
      // not a merge patch at all: refused before the store is opened
      [update('null'), 2, 'VELLUM_USAGE', '--patch must be a JSON object'],
      [update('"str"'), 2, 'VELLUM_USAGE', '--patch must be a JSON object'],
      [update('[1]'), 2, 'VELLUM_USAGE', '--patch must be a JSON object'],
      // a filter no task can match is a mistake, not an empty list: the allowed values are named
      [
        ['tasks', 'list', '--status', 'nope'],
        2,
        'VELLUM_VALIDATION',
        'pending, in_progress, completed, blocked',
      ],
      [['tasks', 'list', '--priority', 'high,urgent'], 2, 'VELLUM_VALIDATION', '"urgent"'],
    ]);
    // the task is still whole, and still found by its story
    expect(okJson<Task>(await v('tasks', 'get', 'TASK-001-001', '--json'))).toMatchObject({
      metadata: SEED_TASKS[0].metadata,
    });
    expect(
      okJson<Page<Task>>(await v('tasks', 'list', '--story', 'STORY-001', '--json')).total,
    ).toBe(2);
  });

  it('bad batch files, and bad input to the other stores, exit 2; the store stays byte-identical', async () => {
    const { root, v } = await seeded('tasks-bad-batch');
    await useEveryCollection(v);
    okJson(await v('ids', 'map', 'TASK-001-001', 'jira', '--project', 'PROJ', '--json'));
    const file = async (name: string, content: string): Promise<string> => {
      await writeFile(join(root, name), content);
      return join(root, name);
    };
    const ok = '{"id":"TASK-001-001","status":"in_progress"}\n';
    const whole =
      '"content":"x","status":"pending","priority":"low","metadata":{"created_at":"2026-01-01T00:00:00.000Z","updated_at":"2026-01-01T00:00:00.000Z"}';
    await expectRefusals(root, v, [
      [
        ['tasks', 'batch', await file('torn.jsonl', `${ok}{"id":"TASK-001-002","sta`)],
        2,
        'VELLUM_VALIDATION',
        'line 2',
      ],
      [
        ['tasks', 'batch', await file('middle.jsonl', `${ok}{not json}\n{"id":"TASK-001-002"}\n`)],
        2,
        'VELLUM_VALIDATION',
        'line 2',
      ],
      [
        [
          'tasks',
          'batch',
          await file('status.jsonl', `${ok}{"id":"TASK-001-002","status":"done"}\n`),
        ],
        2,
        'VELLUM_VALIDATION',
        'status',
      ],
      [
        [
          'tasks',
          'batch',
          await file('unknown.jsonl', `${ok}{"id":"${MISSING}","status":"blocked"}\n`),
        ],
        2,
        'VELLUM_VALIDATION',
        'line 2',
      ],
      [
        ['tasks', 'batch', await file('escape.jsonl', `${ok}{"id":"../../escape",${whole}}\n`)],
        2,
        'VELLUM_VALIDATION',
        'id',
      ],
      [
        ['tasks', 'batch', await file('array.jsonl', '["TASK-001-001"]\n')],
        2,
        'VELLUM_VALIDATION',
        'line 1',
      ],
      [['tasks', 'batch', await file('empty.jsonl', '')], 2, 'VELLUM_VALIDATION', 'no updates'],
      [['ids', 'map', '../TASK-001-001', 'jira'], 2, 'VELLUM_VALIDATION', 'path separator'],
      [
        ['integrations', 'add', '--type', 'nope', '--source', 'persona:sm', '--target', 'tool:x'],
        2,
        'VELLUM_VALIDATION',
        'type',
      ],
      [
        ['integrations', 'add', '--type', 'reporting', '--source', 'sm', '--target', 'tool:x'],
        2,
        'VELLUM_USAGE',
        '--source must look like type:name',
      ],
      [
        ['state', 'set', 'story', '../../STORY-001', 'pending', '--by', 'sm', '--reason', 'x'],
        2,
        'VELLUM_VALIDATION',
        'path separator',
      ],
      [
        ['sessions', 'event', 'no-such-session', 'handoff', '--data', '{"a":'],
        2,
        'VELLUM_USAGE',
        '--data',
      ],
      [
        ['workflows', 'start', 'delivery', '--steps', 'plan:nope'],
        2,
        'VELLUM_VALIDATION',
        'step_type',
      ],
    ]);
    expect(existsSync(join(root, 'escape.json'))).toBe(false);
    expect(existsSync(join(root, '..', 'escape.json'))).toBe(false);
  });

  it('8 concurrent `tasks add` processes of one story get 8 distinct ids and consistent indexes', async () => {
    const root = await tempRoot('tasks-concurrent');
    // separate processes: the guarantee is across processes
    const v = spawnVellumIn(root);
    const results: RunResult[] = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        v(
          'tasks',
          'add',
          `Parallel task ${i}`,
          '--story',
          '7',
          '--story-id',
          'STORY-007',
          '--json',
        ),
      ),
    );
    const tasks = results.map((r) => okJson<Task>(r));
    const ids = tasks.map((t) => t.id).sort();
    expect(ids).toEqual(Array.from({ length: 8 }, (_, i) => `TASK-007-00${i + 1}`));
    expect(new Set(tasks.map((t) => t.content)).size).toBe(8);

    const index = async (name: string): Promise<Record<string, string[]>> =>
      readJson(join(root, '.ap-state', 'tasks', 'index', `${name}.json`));
    expect(await index('by-status')).toEqual({ pending: ids });
    expect(await index('by-story')).toEqual({ 'STORY-007': ids });
    expect(await index('by-priority')).toEqual({ medium: ids });
    expect((await readdir(join(root, '.ap-state', 'tasks', 'active'))).sort()).toEqual(
      ids.map((id) => `${id}.json`),
    );
    for (const task of tasks) expect(await readJson(activeFile(root, task.id))).toEqual(task);

    const listed = okJson<Page<Task>>(await v('tasks', 'list', '--story', 'STORY-007', '--json'));
    expect(listed.total).toBe(8);
    expect(listed.items.map((t) => t.id)).toEqual(ids);
    expect(okJson<{ ok: boolean }>(await v('index', 'verify', '--json')).ok).toBe(true);
    // the next one continues after them
    expect(okJson<Task>(await v('tasks', 'add', 'After', '--story', '7', '--json')).id).toBe(
      'TASK-007-009',
    );
  });
});
