import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileNotFoundError } from '@vellum/atomic-io';
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../src/index.js';
import { contents, fixtureCopy, freshDir, open } from './helpers.js';

const at = new Date('2026-11-21T12:00:00Z');
const clock = { now: () => at };

describe('an existing .ap-state written by the spec tool', () => {
  it('opens unchanged: every document imported, no spec file rewritten', async () => {
    const root = await fixtureCopy();
    const before = await contents(root);
    const store = await open(root, clock);
    // Each collection imports its files when it first opens: open them all.
    await store.collections();
    expect(store.report.tasks?.imported).toBe(3);
    expect(store.report.integrations?.imported).toBe(2);
    expect(store.report.states?.imported).toBe(1);
    expect(store.report.tasks?.quarantined).toEqual([]);
    expect((await store.tasks.list({ status: 'completed' })).items.map((t) => t.id)).toEqual([
      'TASK-001-003',
    ]);
    expect((await store.tasks.list({ story: 'STORY-001' })).total).toBe(3);
    expect((await store.integrations.list({ enabled: false })).items.map((ip) => ip.id)).toEqual([
      'IP-003',
    ]);
    expect((await store.states.get('story', 'STORY-001'))?.current_state.progress_percentage).toBe(
      40,
    );
    await store.close();
    const after = await contents(root);
    for (const [file, text] of before) expect([file, after.get(file)]).toEqual([file, text]);
  });

  it('reports the legacy indexes/*.idx it finds, and whether they match', async () => {
    const root = await fixtureCopy();
    const store = await open(root, clock);
    expect(await store.checkLegacyIndexes()).toEqual([
      { file: join(root, 'indexes', 'task-by-status.idx'), ok: true },
    ]);
    await store.tasks.complete('TASK-001-001');
    expect(await store.checkLegacyIndexes()).toEqual([
      { file: join(root, 'indexes', 'task-by-status.idx'), ok: false },
    ]);
  });

  it('detects a hand-edited task file and a drifted index, and repairs from the documents', async () => {
    const root = await fixtureCopy();
    const first = await open(root, clock);
    await first.tasks.collection(); // imports the fixture
    await first.close();
    const file = join(root, 'tasks/active/TASK-001-002.json');
    const task = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    await writeFile(file, JSON.stringify({ ...task, priority: 'high' }, null, 2));
    await writeFile(
      join(root, 'tasks/index/by-persona.json'),
      '{"dev": ["TASK-001-001", "TASK-001-999"]}',
    );
    const store = await open(root, clock);
    await store.tasks.collection();
    expect(store.report.tasks?.adopted.map((a) => a.id)).toEqual(['TASK-001-002']);
    expect(store.report.tasks?.indexDrift).toEqual(['persona']);
    expect((await store.tasks.get('TASK-001-002'))?.priority).toBe('high');
    await store.flush();
    expect(JSON.parse(await readFile(join(root, 'tasks/index/by-persona.json'), 'utf8'))).toEqual({
      architect: ['TASK-001-003'],
      dev: ['TASK-001-001'],
      qa: ['TASK-001-002'],
    });
  });
});

describe('tasks', () => {
  it('allocates TASK-<story>-<n> and subtasks, never reusing an id', async () => {
    const store = await open(await fixtureCopy(), clock);
    const a = await store.tasks.create({
      story: 1,
      content: 'Next one',
      metadata: { story_id: 'STORY-001' },
    });
    const b = await store.tasks.create({ story: '002', content: 'Other story' });
    const sub = await store.tasks.create({ parent: 'TASK-001-001', content: 'A subtask' });
    const sub2 = await store.tasks.create({ parent: 'TASK-001-001', content: 'Another subtask' });
    expect([a.id, b.id, sub.id, sub2.id]).toEqual([
      'TASK-001-004',
      'TASK-002-001',
      'TASK-001-001-1',
      'TASK-001-001-2',
    ]);
    expect(a).toMatchObject({
      status: 'pending',
      priority: 'medium',
      metadata: { created_at: at.toISOString(), story_id: 'STORY-001' },
    });
    const duplicate = store.tasks.create({ id: 'TASK-001-004', content: 'dup' });
    await expect(duplicate).rejects.toThrow(/already exists/);
    await expect(duplicate).rejects.toBeInstanceOf(ConflictError);
    await expect(
      store.tasks.create({ parent: 'TASK-001-001-1', content: 'too deep' }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('keeps depends_on and blocks symmetric, and lists ready tasks', async () => {
    const store = await open(await freshDir(), clock);
    const design = await store.tasks.create({ story: 1, content: 'Design' });
    const build = await store.tasks.create({ story: 1, content: 'Build', depends_on: [design.id] });
    const test = await store.tasks.create({
      story: 1,
      content: 'Test',
      depends_on: [build.id, design.id],
    });
    expect((await store.tasks.get(design.id))?.relationships?.blocks).toEqual([build.id, test.id]);
    expect((await store.tasks.ready()).map((t) => t.id)).toEqual([design.id]);
    await store.tasks.complete(design.id);
    expect((await store.tasks.ready()).map((t) => t.id)).toEqual([build.id]);
    await store.tasks.removeDependency(test.id, design.id);
    expect((await store.tasks.get(design.id))?.relationships?.blocks).toEqual([build.id]);
    await store.tasks.delete(build.id);
    expect((await store.tasks.get(test.id))?.relationships?.depends_on).toEqual([]);
    expect((await store.tasks.get(design.id))?.relationships?.blocks).toEqual([]);
  });

  it('refuses unknown dependencies and cycles', async () => {
    const store = await open(await freshDir(), clock);
    const a = await store.tasks.create({ story: 1, content: 'A' });
    const b = await store.tasks.create({ story: 1, content: 'B', depends_on: [a.id] });
    const c = await store.tasks.create({ story: 1, content: 'C', depends_on: [b.id] });
    const cycle = (await store.tasks
      .addDependency(a.id, c.id)
      .catch((e: unknown) => e)) as ValidationError;
    expect(cycle).toBeInstanceOf(ValidationError);
    expect(cycle.issues[0]?.path).toEqual(['relationships', 'depends_on']);
    expect(cycle.message).toContain('dependency cycle');
    await expect(store.tasks.addDependency(a.id, a.id)).rejects.toThrow(/itself/);
    await expect(
      store.tasks.create({ story: 1, content: 'D', depends_on: ['TASK-009-009'] }),
    ).rejects.toThrow(/unknown task TASK-009-009/);
    expect((await store.tasks.get(a.id))?.relationships?.depends_on ?? []).toEqual([]);
  });

  it('moves the file to completed/YYYY-MM on completion and back when reopened', async () => {
    const root = await freshDir();
    const store = await open(root, clock);
    const task = await store.tasks.create({ story: 7, content: 'Ship it' });
    await store.flush();
    expect(await readdir(join(root, 'tasks/active'))).toEqual([`${task.id}.json`]);
    await store.tasks.complete(task.id);
    await store.flush();
    expect(await readdir(join(root, 'tasks/completed/2026-11'))).toEqual([`${task.id}.json`]);
    expect(await readdir(join(root, 'tasks/active'))).toEqual([]);
    await store.tasks.reopen(task.id);
    await store.flush();
    expect(await readdir(join(root, 'tasks/active'))).toEqual([`${task.id}.json`]);
    expect(await readdir(join(root, 'tasks/completed/2026-11'))).toEqual([]);
    expect(JSON.parse(await readFile(join(root, 'tasks/index/by-status.json'), 'utf8'))).toEqual({
      pending: [task.id],
    });
  });

  it('filters by status, story, persona and priority, with paging and projection', async () => {
    const store = await open(await freshDir(), clock);
    for (let i = 0; i < 12; i++) {
      await store.tasks.create({
        story: 1 + (i % 2),
        content: `Task ${i}`,
        priority: (['high', 'medium', 'low'] as const)[i % 3],
        metadata: { story_id: `STORY-${i % 2}`, persona: i % 4 === 0 ? 'qa' : 'dev' },
      });
    }
    const page = await store.tasks.list({
      story: 'STORY-0',
      persona: 'qa',
      limit: 2,
      fields: ['id', 'priority'],
    });
    expect(page.total).toBe(3);
    expect(page.items).toHaveLength(2);
    expect(Object.keys(page.items[0] ?? {})).toEqual(['id', 'priority']);
    expect((await store.tasks.list({ priority: ['high', 'low'] })).total).toBe(8);
    expect((await store.tasks.search('Task 11')).items[0]?.doc.content).toBe('Task 11');
  });

  it('refuses a projection on a member tasks do not have, naming it', async () => {
    const store = await open(await freshDir(), clock);
    await store.tasks.create({ story: 1, content: 'x', metadata: { story_id: 'STORY-001' } });
    const error = (await store.tasks
      .list({ fields: ['id', 'nope', 'stauts.x'] })
      .catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues.map((issue) => issue.message)).toEqual([
      expect.stringContaining('"nope" is not a task member'),
      expect.stringContaining('"stauts.x" is not a task member'),
    ]);
    // below a known member, any path: unknown members are allowed there
    const page = await store.tasks.list({ fields: ['id', 'metadata.story_id', 'metadata.other'] });
    expect(page.items).toEqual([{ id: 'TASK-001-001', metadata: { story_id: 'STORY-001' } }]);
  });

  it('rejects bad input with a ValidationError naming the field, leaving the disk byte-identical', async () => {
    const root = await fixtureCopy();
    const store = await open(root, clock);
    // Collections open (and import the fixture's files) on first use: before the picture.
    await store.collections();
    await store.flush();
    const before = await contents(root);
    const cases: [() => Promise<unknown>, (string | number)[]][] = [
      [() => store.tasks.create({ id: 'TASK-1', content: 'x' }), ['id']],
      [() => store.tasks.create({ id: '../../etc/passwd', content: 'x' }), ['id']],
      [() => store.tasks.create({ story: 1, content: '' }), ['content']],
      [
        () => store.tasks.create({ story: 1, content: 'x', status: 'done' as 'pending' }),
        ['status'],
      ],
      [() => store.tasks.create({ story: '../1', content: 'x' }), ['story']],
      [() => store.tasks.update('TASK-001-002', { status: 'unknown' }), ['status']],
      [
        () => store.tasks.addDependency('TASK-001-003', 'TASK-001-002'),
        ['relationships', 'depends_on'],
      ],
    ];
    for (const [attempt, path] of cases) {
      const error = (await attempt().catch((e: unknown) => e)) as ValidationError;
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.issues.map((issue) => issue.path)).toContainEqual(path);
    }
    await expect(
      store.tasks.update('TASK-404-404', { status: 'completed' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      store.tasks.update('TASK-001-002', { priority: 'low' }, { expectedRevision: 1 }),
    ).rejects.toBeInstanceOf(ConflictError);
    await store.flush();
    expect(await contents(root)).toEqual(before);
  });
});

describe('a merge patch is checked as the document it makes', () => {
  it('refuses a patch that replaces metadata with a non-object or removes it; nothing written, the task stays indexed', async () => {
    const root = await fixtureCopy();
    const store = await open(root, clock);
    await store.collections();
    await store.flush();
    const before = await contents(root);
    const task = await store.tasks.require('TASK-001-002');
    for (const metadata of ['s', 5, null, [1], true]) {
      const error = (await store.tasks
        .update('TASK-001-002', { metadata } as never)
        .catch((e: unknown) => e)) as ValidationError;
      expect(error, JSON.stringify(metadata)).toBeInstanceOf(ValidationError);
      expect(error.issues.map((issue) => issue.path)).toContainEqual(['metadata']);
      expect(error.message).toContain('metadata');
    }
    // the same patch in a batch line is refused the same way, naming the line
    const file = join(root, '..', 'patches.jsonl');
    await writeFile(file, `${JSON.stringify({ id: 'TASK-001-002', metadata: 's' })}\n`);
    const batch = (await store.tasks.batchUpdate(file).catch((e: unknown) => e)) as ValidationError;
    expect(batch).toBeInstanceOf(ValidationError);
    expect(batch.message).toContain('batch line 1');
    expect(batch.issues.map((issue) => issue.path)).toContainEqual(['metadata']);
    await store.flush();
    expect(await contents(root)).toEqual(before);
    expect(await store.tasks.require('TASK-001-002')).toEqual(task);
    expect(
      (await store.tasks.list({ story: task.metadata.story_id })).items.map((t) => t.id),
    ).toContain('TASK-001-002');
  });

  it('refuses a patch that is not an object with a ValidationError, not a TypeError', async () => {
    const root = await fixtureCopy();
    const store = await open(root, clock);
    for (const patch of [null, 'str', 5, ['status']]) {
      const error = (await store.tasks
        .update('TASK-001-002', patch as never)
        .catch((e: unknown) => e)) as ValidationError;
      expect(error, JSON.stringify(patch)).toBeInstanceOf(ValidationError);
      expect(error.message).toMatch(/patch must be a JSON object/);
    }
  });

  it('an enum filter outside the schema is a ValidationError naming the allowed values', async () => {
    const store = await open(await freshDir(), clock);
    const status = (await store.tasks
      .list({ status: 'nope' as 'pending' })
      .catch((e: unknown) => e)) as ValidationError;
    expect(status).toBeInstanceOf(ValidationError);
    expect(status.issues.map((issue) => issue.path)).toEqual([['status']]);
    expect(status.message).toContain('"nope"');
    expect(status.message).toContain('pending, in_progress, completed, blocked');
    const asked: string[] = ['high', 'urgent'];
    const priority = (await store.tasks
      .list({ priority: asked as 'high'[] })
      .catch((e: unknown) => e)) as ValidationError;
    expect(priority).toBeInstanceOf(ValidationError);
    expect(priority.message).toContain('"urgent"');
    expect(priority.message).toContain('high, medium, low');
  });
});

describe('batch_update_tasks', () => {
  it('applies a JSONL file of updates as one transaction', async () => {
    const root = await fixtureCopy();
    const store = await open(root, clock);
    const file = join(root, '..', 'updates.jsonl');
    const whole = {
      id: 'TASK-003-001',
      content: 'New from batch',
      status: 'pending',
      priority: 'low',
      metadata: { story_id: 'STORY-003' },
    };
    await writeFile(
      file,
      [
        JSON.stringify({ id: 'TASK-001-002', status: 'in_progress' }),
        JSON.stringify(whole),
        JSON.stringify({ id: 'TASK-003-001', relationships: { depends_on: ['TASK-001-003'] } }),
      ].join('\n') + '\n',
    );
    const result = await store.tasks.batchUpdate(file);
    expect(result).toMatchObject({
      created: ['TASK-003-001'],
      updated: ['TASK-001-002', 'TASK-003-001'],
    });
    expect((await store.tasks.get('TASK-001-002'))?.status).toBe('in_progress');
    expect((await store.tasks.get('TASK-001-003'))?.relationships?.blocks).toEqual([
      'TASK-001-001',
      'TASK-003-001',
    ]);
  });

  it('writes nothing when one line is bad, and says which line', async () => {
    const root = await fixtureCopy();
    const store = await open(root, clock);
    // Collections open (and import the fixture's files) on first use: before the picture.
    await store.collections();
    await store.flush();
    const before = await contents(root);
    const file = join(root, '..', 'updates.jsonl');
    await writeFile(
      file,
      `${JSON.stringify({ id: 'TASK-001-002', status: 'completed' })}\n${JSON.stringify({ id: 'TASK-001-001', priority: 'urgent' })}\n`,
    );
    const error = (await store.tasks.batchUpdate(file).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toContain('batch line 2');
    expect(error.issues[0]?.path).toEqual(['priority']);
    await writeFile(file, '{"id": "TASK-001-002", "status": "completed"}\n{"id": "TASK-0');
    await expect(store.tasks.batchUpdate(file)).rejects.toThrow(/line 2/);
    // A file that is not there is not an empty batch.
    const missing = join(root, '..', 'no-such-updates.jsonl');
    const notFound = (await store.tasks
      .batchUpdate(missing)
      .catch((e: unknown) => e)) as FileNotFoundError;
    expect(notFound).toBeInstanceOf(FileNotFoundError);
    expect(notFound).toMatchObject({
      code: 'VELLUM_FILE_NOT_FOUND',
      category: 'not-found',
      path: missing,
    });
    await store.flush();
    expect(await contents(root)).toEqual(before);
  });
});

describe('query cache', () => {
  it("answers repeated queries from the cache and drops them on any write, also another process's", async () => {
    const root = await freshDir();
    const a = await open(root, clock);
    const b = await open(root, clock);
    await a.tasks.create({ story: 1, content: 'one' });
    expect((await a.tasks.list({ status: 'pending' })).total).toBe(1);
    expect((await a.tasks.list({ status: 'pending' })).total).toBe(1);
    expect(a.tasks.queryCache.stats()).toMatchObject({ hits: 1, misses: 1 });
    await b.tasks.create({ story: 1, content: 'two' });
    expect((await a.tasks.list({ status: 'pending' })).total).toBe(2);
    await a.tasks.complete('TASK-001-001');
    expect((await a.tasks.list({ status: 'pending' })).total).toBe(1);
    expect(a.tasks.queryCache.stats()).toMatchObject({ hits: 1, misses: 3 });
  });
});

describe('store version and metrics', () => {
  it("writes spec 000's version file for a new store and refuses a store from newer code", async () => {
    const root = await freshDir();
    const store = await open(root, clock);
    await store.tasks.create({ story: 1, content: 'x' });
    await store.close();
    expect(await readFile(join(root, 'version'), 'utf8')).toBe('1\n');
    await writeFile(join(root, 'version'), '3\n');
    await expect(open(root, clock)).rejects.toMatchObject({ code: 'VELLUM_STORE_TOO_NEW' });
  });

  it('records every operation in metrics/YYYY-MM-DD.jsonl, batched', async () => {
    const root = await freshDir();
    const store = await open(root);
    await store.tasks.create({ story: 1, content: 'x' });
    await store.tasks.list({ status: 'pending' });
    await store.close();
    const [file] = await readdir(join(root, 'metrics'));
    const lines = (await readFile(join(root, 'metrics', file ?? ''), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { operation: string; status: string });
    expect(lines.map((l) => l.operation)).toEqual(expect.arrayContaining(['transact', 'query']));
    expect(lines.every((l) => l.status === 'success')).toBe(true);
  });
});

describe('batch_update_tasks with links between its own tasks', () => {
  it('accepts a line that names a task created further down, in either direction', async () => {
    const store = await open(await freshDir(), clock);
    const task = (id: string, relationships: Record<string, string[]>) => ({
      id,
      content: id,
      status: 'pending',
      priority: 'low',
      metadata: {},
      relationships,
    });
    await store.tasks.batchUpdate([
      task('TASK-007-001', { depends_on: ['TASK-007-002'] }),
      task('TASK-007-002', { depends_on: [] }),
      task('TASK-007-003', { blocks: ['TASK-007-004'] }),
      task('TASK-007-004', {}),
    ]);
    expect((await store.tasks.get('TASK-007-002'))?.relationships?.blocks).toEqual([
      'TASK-007-001',
    ]);
    expect((await store.tasks.get('TASK-007-004'))?.relationships?.depends_on).toEqual([
      'TASK-007-003',
    ]);
    await expect(
      store.tasks.batchUpdate([
        task('TASK-008-001', { depends_on: ['TASK-008-002'] }),
        task('TASK-008-002', { depends_on: ['TASK-008-001'] }),
      ]),
    ).rejects.toThrow(/dependency cycle/);
  });
});
