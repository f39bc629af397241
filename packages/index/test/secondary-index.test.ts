import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptFileError } from '@vellum/atomic-io';
import { describe, expect, it } from 'vitest';
import {
  InvalidKeyError,
  InvalidQueryError,
  SecondaryIndex,
  UniqueConstraintError,
  intersectSorted,
  type IndexKey,
} from '../src/index.js';
import { freshDir } from './helpers/temp-dir.js';

interface Task {
  status: string;
  priority?: number | string | null;
  tags?: string[];
  story?: string;
  email?: string;
}

const fixture = (name: string): string => new URL(`fixtures/${name}`, import.meta.url).pathname;

async function readFixture(name: string): Promise<unknown> {
  return JSON.parse(await readFile(fixture(name), 'utf8')) as unknown;
}

function byStatus(): SecondaryIndex<Task> {
  return new SecondaryIndex<Task>({ name: 'by-status', key: (task) => task.status });
}

function byPriority(): SecondaryIndex<Task> {
  return new SecondaryIndex<Task>({ name: 'by-priority', key: (task) => task.priority });
}

function byTag(): SecondaryIndex<Task> {
  return new SecondaryIndex<Task>({ name: 'by-tag', key: (task) => task.tags });
}

function byEmail(): SecondaryIndex<Task> {
  return new SecondaryIndex<Task>({ name: 'by-email', key: (task) => task.email, unique: true });
}

const tasks: [string, Task][] = [
  ['TASK-001-003', { status: 'pending', priority: 2, tags: ['ui', 'auth'], email: 'c@x' }],
  ['TASK-001-001', { status: 'pending', priority: 1, tags: ['auth'], email: 'a@x' }],
  ['TASK-001-002', { status: 'in_progress', priority: 3, tags: [], email: 'b@x' }],
  ['TASK-002-001', { status: 'completed', priority: null, tags: ['api', 'auth', 'api'] }],
  ['TASK-002-002', { status: 'blocked', tags: ['ui'] }],
];

function filled<T extends SecondaryIndex<Task>>(index: T): T {
  for (const [id, task] of tasks) index.add(id, task);
  return index;
}

describe('SecondaryIndex queries', () => {
  it('get: equality, ids sorted, a new array each time', () => {
    const index = filled(byStatus());
    expect(index.get('pending')).toEqual(['TASK-001-001', 'TASK-001-003']);
    expect(index.get('nope')).toEqual([]);
    expect(index.count('pending')).toBe(2);
    expect(index.has('blocked')).toBe(true);
    const ids = index.get('pending');
    ids.push('mutated');
    expect(index.get('pending')).toHaveLength(2);
  });

  it('in: union of several keys, each id once', () => {
    const index = filled(byStatus());
    expect(index.in(['blocked', 'pending', 'missing'])).toEqual([
      'TASK-001-001',
      'TASK-001-003',
      'TASK-002-002',
    ]);
    expect(filled(byTag()).in(['auth', 'api'])).toEqual([
      'TASK-001-001',
      'TASK-001-003',
      'TASK-002-001',
    ]);
    expect(index.in([])).toEqual([]);
  });

  it('range: gt, gte, lt, lte, within the type of the bounds', () => {
    const index = filled(byPriority());
    expect(index.range({ gte: 2 })).toEqual(['TASK-001-002', 'TASK-001-003']);
    expect(index.range({ gt: 2 })).toEqual(['TASK-001-002']);
    expect(index.range({ lt: 2 })).toEqual(['TASK-001-001']);
    expect(index.range({ lte: 2, gte: 1 })).toEqual(['TASK-001-001', 'TASK-001-003']);
    expect(index.range({ gt: 3 })).toEqual([]);
    expect(index.range({ gt: 2, lt: 2 })).toEqual([]);
    // null is a key of its own class: number bounds never include it.
    expect(index.range({ lte: 100 })).not.toContain('TASK-002-001');
    expect(index.range({ gte: null, lte: null })).toEqual(['TASK-002-001']);
    // No bounds: every key.
    expect(index.range({})).toHaveLength(4);
  });

  it('range over strings and mixed-type keys', () => {
    const index = new SecondaryIndex<{ k: IndexKey }>({ name: 'mixed', key: (doc) => doc.k });
    const keys: IndexKey[] = ['b', 'a', 10, 2, true, false, null, '10'];
    keys.forEach((k, i) => index.add(`id${i}`, { k }));
    expect(index.keys()).toEqual([null, false, true, 2, 10, '10', 'a', 'b']);
    expect(index.range({ gte: 'a' })).toEqual(['id0', 'id1']);
    expect(index.range({ lt: 'a' })).toEqual(['id7']);
    expect(index.range({ gte: 0 })).toEqual(['id2', 'id3']);
    expect(index.range({ gte: false, lte: true })).toEqual(['id4', 'id5']);
    expect(() => index.range({ gte: 1, lt: 'z' })).toThrow(InvalidQueryError);
  });

  it('prefix: string keys starting with the prefix', () => {
    const index = new SecondaryIndex<{ story: string | number }>({
      name: 'by-story',
      key: (doc) => doc.story,
    });
    index.add('t1', { story: 'STORY-1' });
    index.add('t2', { story: 'STORY-10' });
    index.add('t3', { story: 'STORY-2' });
    index.add('t4', { story: 'EPIC-1' });
    index.add('t5', { story: 1 });
    expect(index.prefix('STORY-1')).toEqual(['t1', 't2']);
    expect(index.prefix('STORY-')).toEqual(['t1', 't2', 't3']);
    expect(index.prefix('')).toEqual(['t1', 't2', 't3', 't4']);
    expect(index.prefix('X')).toEqual([]);
    expect(() => index.prefix(1 as unknown as string)).toThrow(InvalidQueryError);
  });

  it('rejects query values that are not keys', () => {
    const index = filled(byPriority());
    expect(() => index.get(NaN)).toThrow(InvalidQueryError);
    expect(() => index.in([{} as unknown as IndexKey])).toThrow(InvalidQueryError);
    expect(() => index.range({ gte: Infinity })).toThrow(/finite/);
  });

  it('AND of queries with intersectSorted', () => {
    const status = filled(byStatus());
    const tag = filled(byTag());
    expect(intersectSorted([status.get('pending'), tag.get('ui')])).toEqual(['TASK-001-003']);
  });
});

describe('SecondaryIndex writes', () => {
  it('multi-valued fields index each value once; update moves only what changed', () => {
    const index = filled(byTag());
    expect(index.get('api')).toEqual(['TASK-002-001']);
    expect(index.get('auth')).toEqual(['TASK-001-001', 'TASK-001-003', 'TASK-002-001']);
    index.update('TASK-001-003', tasks[0]![1], { status: 'pending', tags: ['auth', 'db'] });
    expect(index.get('ui')).toEqual(['TASK-002-002']);
    expect(index.get('db')).toEqual(['TASK-001-003']);
    expect(index.get('auth')).toContain('TASK-001-003');
  });

  it('removing the last id removes the key, also from the sorted key list', () => {
    const index = filled(byStatus());
    expect(index.keys()).toEqual(['blocked', 'completed', 'in_progress', 'pending']);
    index.remove('TASK-002-002', { status: 'blocked' });
    expect(index.keys()).toEqual(['completed', 'in_progress', 'pending']);
    expect(index.has('blocked')).toBe(false);
    index.add('TASK-009', { status: 'archived' });
    expect(index.keys()).toEqual(['archived', 'completed', 'in_progress', 'pending']);
    expect(index.range({ lt: 'c' })).toEqual(['TASK-009']);
  });

  it('documents without the field are left out; -0 and 0 are one key', () => {
    const index = filled(byPriority());
    index.add('zero', { status: 'x', priority: -0 });
    index.add('zero2', { status: 'x', priority: 0 });
    expect(index.get(0)).toEqual(['zero', 'zero2']);
    expect(
      Object.is(
        index.keys().find((k) => k === 0),
        0,
      ),
    ).toBe(true);
    expect(index.size).toBe(5);
  });

  it('refuses keys that are not keys, and changes nothing', () => {
    const index = new SecondaryIndex<{ v: unknown }>({
      name: 'by-v',
      key: (doc) => doc.v as IndexKey,
    });
    index.add('ok', { v: 'fine' });
    for (const v of [NaN, Infinity, { a: 1 }, [['nested']], ['ok', undefined]]) {
      const error = (() => {
        try {
          index.add('bad', { v });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(InvalidKeyError);
      expect(error).toMatchObject({ code: 'VELLUM_INVALID_KEY', index: 'by-v', id: 'bad' });
    }
    expect(index.keys()).toEqual(['fine']);
  });

  it('typed indexes refuse other key types', () => {
    const index = new SecondaryIndex<{ n: number | string }>({
      name: 'by-number',
      key: (doc) => doc.n,
      keyType: 'number',
    });
    index.add('a', { n: 1 });
    expect(() => index.add('b', { n: '1' })).toThrow(/number keys, got string/);
    expect(() => new SecondaryIndex({ name: 'x', key: () => 1, keyType: 'date' as 'any' })).toThrow(
      TypeError,
    );
  });
});

describe('SecondaryIndex unique', () => {
  it('throws UniqueConstraintError naming the index, the key and both ids', () => {
    const index = filled(byEmail());
    const error = (() => {
      try {
        index.add('TASK-003-001', { status: 'pending', email: 'a@x' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UniqueConstraintError);
    expect(error).toMatchObject({
      code: 'VELLUM_UNIQUE_VIOLATION',
      index: 'by-email',
      key: 'a@x',
      id: 'TASK-003-001',
      existingId: 'TASK-001-001',
    });
    expect((error as Error).message).toContain('"a@x"');
    expect(index.get('a@x')).toEqual(['TASK-001-001']);
  });

  it('checks every key before changing any (multi-valued update is all or nothing)', () => {
    const index = new SecondaryIndex<{ emails: string[] }>({
      name: 'by-email',
      key: (doc) => doc.emails,
      unique: true,
    });
    index.add('u1', { emails: ['a@x'] });
    index.add('u2', { emails: ['b@x', 'c@x'] });
    expect(() => index.update('u1', { emails: ['a@x'] }, { emails: ['z@x', 'c@x'] })).toThrow(
      UniqueConstraintError,
    );
    expect(index.keys()).toEqual(['a@x', 'b@x', 'c@x']);
    expect(index.get('a@x')).toEqual(['u1']);
    // Re-adding the same key for the same id is fine, and a freed key can be taken.
    index.update('u1', { emails: ['a@x'] }, { emails: ['a@x', 'd@x'] });
    index.remove('u2', { emails: ['b@x', 'c@x'] });
    index.add('u3', { emails: ['c@x'] });
    expect(index.get('c@x')).toEqual(['u3']);
  });

  it('rebuild refuses duplicates and keeps the old content', () => {
    const index = filled(byEmail());
    expect(() =>
      index.rebuild([
        ['x1', { status: 'a', email: 'same@x' }],
        ['x2', { status: 'a', email: 'same@x' }],
      ]),
    ).toThrow(UniqueConstraintError);
    expect(index.get('a@x')).toEqual(['TASK-001-001']);
  });
});

describe('SecondaryIndex key extraction and checks', () => {
  it('keysOf gives the normalized keys once each; holds spot-checks a document', () => {
    const index = filled(byTag());
    expect(index.keysOf({ status: 'x', tags: ['api', 'auth', 'api'] })).toEqual(['api', 'auth']);
    expect(index.keysOf({ status: 'x' })).toEqual([]);
    expect(index.holds('TASK-002-001', { status: 'x', tags: ['api', 'auth'] })).toBe(true);
    expect(index.holds('TASK-002-001', { status: 'x', tags: ['api', 'ui'] })).toBe(false);
    expect(() => byPriority().keysOf({ status: 'x', priority: Number.NaN }, 'T-1')).toThrow(
      InvalidKeyError,
    );
  });

  it('check finds a unique key held by a document not written, or claimed twice, and changes nothing', () => {
    const index = filled(byEmail());
    const before = index.toJSON();
    const taken = (() => {
      try {
        index.check([{ id: 'NEW', doc: { status: 'p', email: 'a@x' } }]);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(taken).toMatchObject({
      code: 'VELLUM_UNIQUE_VIOLATION',
      key: 'a@x',
      id: 'NEW',
      existingId: 'TASK-001-001',
    });
    expect(() =>
      index.check([
        { id: 'N1', doc: { status: 'p', email: 'n@x' } },
        { id: 'N2', doc: { status: 'p', email: 'n@x' } },
      ]),
    ).toThrow(UniqueConstraintError);
    // A key freed in the same set of writes can be taken; the last version of an id counts.
    index.check([
      { id: 'TASK-001-001', doc: { status: 'p', email: 'moved@x' } },
      { id: 'NEW', doc: { status: 'p', email: 'a@x' } },
      { id: 'TASK-001-002', doc: undefined },
      { id: 'N3', doc: { status: 'p', email: 'b@x' } },
      { id: 'N4', doc: { status: 'p', email: 'c@x' } },
      { id: 'N4', doc: { status: 'p', email: 'd@x' } },
    ]);
    expect(() => index.check([{ id: 'N5', doc: { status: 'p', email: 'c@x' } }])).toThrow(
      UniqueConstraintError,
    );
    // A non-unique index only checks the keys themselves.
    expect(() =>
      filled(byPriority()).check([{ id: 'N', doc: { status: 'p', priority: {} as number } }]),
    ).toThrow(InvalidKeyError);
    filled(byStatus()).check([{ id: 'N', doc: { status: 'pending' } }]);
    expect(index.toJSON()).toEqual(before);
  });
});

describe('SecondaryIndex rebuild and verify', () => {
  it('rebuild gives the same index as adding one by one', () => {
    const index = byTag();
    index.rebuild(new Map(tasks));
    expect(index.toJSON()).toEqual(filled(byTag()).toJSON());
  });

  it('verify is ok on a faithful index', () => {
    expect(filled(byTag()).verify(tasks)).toEqual({ ok: true, missing: [], extra: [] });
  });

  it('verify reports a missing pair, an extra pair, a stale key and a missing document', () => {
    const index = filled(byStatus());
    const truth = new Map(tasks);
    // A document the index never heard of.
    truth.set('TASK-003-001', { status: 'pending' });
    // A document that changed status behind the index's back: stale key + missing key.
    truth.set('TASK-001-002', { status: 'completed' });
    // A document deleted behind the index's back.
    truth.delete('TASK-002-002');
    const report = index.verify(truth);
    expect(report.ok).toBe(false);
    expect(report.missing).toEqual([
      { key: 'completed', id: 'TASK-001-002' },
      { key: 'pending', id: 'TASK-003-001' },
    ]);
    expect(report.extra).toEqual([
      { key: 'blocked', id: 'TASK-002-002' },
      { key: 'in_progress', id: 'TASK-001-002' },
    ]);
    index.rebuild(truth);
    expect(index.verify(truth).ok).toBe(true);
  });

  it('verify of a unique index reports documents sharing a key as missing', () => {
    const index = filled(byEmail());
    const truth = new Map(tasks);
    truth.set('TASK-009', { status: 'x', email: 'a@x' });
    expect(index.verify(truth)).toEqual({
      ok: false,
      missing: [{ key: 'a@x', id: 'TASK-009' }],
      extra: [],
    });
  });

  it('verify reports drift of typed keys with their type', () => {
    const index = filled(byPriority());
    const report = index.verify(
      tasks.map(([id, t]) => [id, { ...t, priority: String(t.priority) }]),
    );
    expect(report.extra).toContainEqual({ key: 1, id: 'TASK-001-001' });
    expect(report.missing).toContainEqual({ key: '1', id: 'TASK-001-001' });
  });
});

describe('SecondaryIndex persistence', () => {
  it("round-trips spec 000's by-status.json exactly", async () => {
    const json = await readFixture('by-status.json');
    const index = SecondaryIndex.fromJSON(json, {
      name: 'by-status',
      key: (task: Task) => task.status,
    });
    expect(index.get('pending')).toEqual(['TASK-001-001']);
    expect(index.toJSON()).toEqual(json);
  });

  it("reads spec 002's index.json sections: unsorted ids, unique name -> id, number keys", async () => {
    const spec = (await readFixture('index.json')) as {
      projects: { by_name: unknown };
      tickets: { by_number: Record<string, unknown>; by_status: unknown; by_assignee: unknown };
    };
    const status = SecondaryIndex.fromJSON(spec.tickets.by_status, {
      name: 'by_status',
      key: (t: { status: string }) => t.status,
    });
    // The spec's example lists ids out of order; the index sorts them.
    expect(status.get('in_progress')).toEqual(['tkt_0987654321', 'tkt_1234567890']);
    expect(status.toJSON()).toEqual({ in_progress: ['tkt_0987654321', 'tkt_1234567890'] });

    const assignee = SecondaryIndex.fromJSON(spec.tickets.by_assignee, {
      name: 'by_assignee',
      key: (t: { assignee_id: string }) => t.assignee_id,
    });
    expect(assignee.toJSON()).toEqual(spec.tickets.by_assignee);

    const byName = SecondaryIndex.fromJSON(spec.projects.by_name, {
      name: 'by_name',
      key: (p: { name: string }) => p.name,
      unique: true,
    });
    expect(byName.get('project-manager')).toEqual(['proj_1234567890']);
    expect(byName.toJSON()).toEqual(spec.projects.by_name);

    const byNumber = SecondaryIndex.fromJSON(spec.tickets.by_number.proj_1234567890, {
      name: 'by_number',
      key: (t: { number: number }) => t.number,
      unique: true,
      keyType: 'number',
    });
    expect(byNumber.get(123)).toEqual(['tkt_1234567890']);
    expect(byNumber.get('123')).toEqual([]);
    expect(byNumber.toJSON()).toEqual(spec.tickets.by_number.proj_1234567890);
  });

  it('does not modify the object it reads', () => {
    const json = { b: ['z', 'a', 'a'], a: [] as string[] };
    const index = SecondaryIndex.fromJSON(json, { name: 'x', key: () => undefined });
    expect(json).toEqual({ b: ['z', 'a', 'a'], a: [] });
    // Duplicates and empty lists (left by the spec's shell update_index) are normalized away.
    expect(index.toJSON()).toEqual({ b: ['a', 'z'] });
  });

  it('round-trips keys of every type without collisions', () => {
    const index = new SecondaryIndex<{ k: IndexKey }>({ name: 'mixed', key: (doc) => doc.k });
    const keys: IndexKey[] = [1, '1', true, 'true', null, 'null', -2.5, '__proto__', 'constructor'];
    keys.forEach((k, i) => index.add(`id${i}`, { k }));
    const text = JSON.stringify(index);
    const back = SecondaryIndex.fromJSON(JSON.parse(text), {
      name: 'mixed',
      key: (doc: { k: IndexKey }) => doc.k,
    });
    expect(back.keys()).toEqual(index.keys());
    for (const k of keys) expect(back.get(k)).toEqual(index.get(k));
    expect(Object.getPrototypeOf(JSON.parse(text))).toBe(Object.prototype);
    expect(back.get('__proto__')).toEqual(['id7']);
  });

  it('reports every malformed part with its path', () => {
    const options = { name: 'by-status', key: (t: Task) => t.status };
    const cases: [unknown, (string | number)[]][] = [
      [[], []],
      ['x', []],
      [{ a: 1 }, ['a']],
      [{ a: ['x', 2] }, ['a', 1]],
      [{ a: { b: 1 } }, ['a']],
    ];
    for (const [json, path] of cases) {
      const error = (() => {
        try {
          SecondaryIndex.fromJSON(json, options);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(CorruptFileError);
      expect((error as CorruptFileError).issues[0]?.path).toEqual(path);
    }
    expect(() => SecondaryIndex.fromJSON({ k: ['a', 'b'] }, { ...options, unique: true })).toThrow(
      /unique index lists 2 ids/,
    );
    expect(() =>
      SecondaryIndex.fromJSON({ '07': ['a'] }, { ...options, keyType: 'number' }),
    ).toThrow(CorruptFileError);
  });

  it('save writes the spec shape atomically; load reads it back', async () => {
    const dir = await freshDir();
    const file = join(dir, 'by-status.json');
    await filled(byStatus()).save(file);
    const text = await readFile(file, 'utf8');
    expect(JSON.parse(text)).toEqual({
      blocked: ['TASK-002-002'],
      completed: ['TASK-002-001'],
      in_progress: ['TASK-001-002'],
      pending: ['TASK-001-001', 'TASK-001-003'],
    });
    const loaded = await SecondaryIndex.load(file, {
      name: 'by-status',
      key: (t: Task) => t.status,
    });
    expect(loaded?.verify(tasks).ok).toBe(true);
    // Saving what was loaded gives the same bytes.
    await loaded?.save(file);
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('load: a missing file is null; a corrupt one throws with path, line and column', async () => {
    const dir = await freshDir();
    const file = join(dir, 'by-status.json');
    const options = { name: 'by-status', key: (t: Task) => t.status };
    expect(await SecondaryIndex.load(file, options)).toBeNull();
    await writeFile(file, '{\n  "pending": ["a",\n');
    await expect(SecondaryIndex.load(file, options)).rejects.toMatchObject({
      code: 'VELLUM_CORRUPT_FILE',
      path: file,
      line: 3,
    });
    await writeFile(file, '{\n  "pending": ["a"],\n  "done": [42]\n}\n');
    await expect(SecondaryIndex.load(file, options)).rejects.toMatchObject({
      code: 'VELLUM_CORRUPT_FILE',
      path: file,
      line: 3,
      issues: [{ path: ['done', 0] }],
    });
  });
});
