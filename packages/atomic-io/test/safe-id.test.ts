import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidIdError, assertSafeId, resolveInside } from '../src/index.js';

describe('assertSafeId', () => {
  it('accepts the ids the specs use', () => {
    for (const id of ['TASK-001-002', 'PROJ-457', 'issue-001', 'epic_1', 'a.b', '12345', 'é-ünï']) {
      expect(() => assertSafeId(id)).not.toThrow();
    }
  });

  it.each([
    ['', 'is empty'],
    ['../etc', 'path separator'],
    ['a/b', 'path separator'],
    ['a\\b', 'path separator'],
    ['..', '".."'],
    ['a..b', '".."'],
    ['.', '"."'],
    ['a\u0000b', 'control'],
    ['a\nb', 'control'],
    ['CON', 'reserved'],
    ['nul.json', 'reserved'],
    ['com1', 'reserved'],
    ['a:b', '< > :'],
    ['a?', '< > :'],
    ['trailing.', 'ends with'],
    [' lead', 'starts or ends'],
    ['x'.repeat(201), 'longer than'],
  ])('rejects %j (%s)', (id, reason) => {
    const error = (() => {
      try {
        assertSafeId(id, 'taskId');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidIdError);
    expect(error).toMatchObject({ code: 'VELLUM_INVALID_ID', id });
    expect((error as Error).message).toContain('taskId');
    expect((error as Error).message).toContain(reason);
  });

  it('rejects non-strings', () => {
    expect(() => assertSafeId(42)).toThrow(InvalidIdError);
    expect(() => assertSafeId({ id: 'x' })).toThrow(/must be a string/);
  });
});

describe('resolveInside', () => {
  it('joins safe segments under the root', () => {
    expect(resolveInside('/store', 'tasks', 'TASK-1.json')).toBe(
      join('/store', 'tasks', 'TASK-1.json'),
    );
  });

  it('never resolves outside the root', () => {
    expect(() => resolveInside('/store', '..', 'x')).toThrow(InvalidIdError);
    expect(() => resolveInside('/store', '/etc/passwd')).toThrow(InvalidIdError);
  });
});
