import { describe, expect, it } from 'vitest';
import {
  ATOMIC_IO_ERROR_CODES,
  AtomicIoError,
  CorruptFileError,
  DiskFullError,
  DurabilityError,
  ERROR_CATEGORIES,
  InvalidIdError,
  ItemLockedError,
  LockCompromisedError,
  LockTimeoutError,
  LockUsageError,
  SerializationError,
  TornTailError,
  ValidationError,
  VellumError,
  WriteError,
} from '../src/index.js';

const tail = { line: 3, offset: 10, bytes: 4, reason: 'incomplete-line' } as const;

describe('error categories', () => {
  it('every class takes the category its code has in ATOMIC_IO_ERROR_CODES', () => {
    const errors: [VellumError, string][] = [
      [new ValidationError('query', [{ path: ['limit'], message: 'must be ≥ 1' }]), 'usage'],
      [new InvalidIdError('a/b', 'contains a path separator'), 'usage'],
      [new SerializationError('document T-1 is not JSON'), 'usage'],
      [new LockUsageError('/s/a.json', '/s/a.json: lock re-entered'), 'usage'],
      [new LockTimeoutError('/s/a.json', 10, undefined), 'conflict'],
      [new LockCompromisedError('/s/a.json', 'taken over'), 'conflict'],
      [new ItemLockedError('T-1', 'bob', new Date(0), '/s/locks.json'), 'conflict'],
      [new CorruptFileError('/s/a.json:1:1: invalid JSON', { path: '/s/a.json' }), 'corruption'],
      [new TornTailError('/s/a.jsonl: torn tail', { tail }), 'corruption'],
      [new WriteError('write /s/a.json: EIO'), 'failure'],
      [new DiskFullError('write /s/a.json: disk full'), 'failure'],
      [new DurabilityError('/s: fsync failed'), 'failure'],
    ];
    for (const [error, category] of errors) {
      expect(error, error.name).toBeInstanceOf(AtomicIoError);
      expect(error.category, error.name).toBe(category);
      expect(ATOMIC_IO_ERROR_CODES[error.code as keyof typeof ATOMIC_IO_ERROR_CODES]).toBe(
        category,
      );
    }
  });

  it('declares only known categories', () => {
    for (const category of Object.values(ATOMIC_IO_ERROR_CODES)) {
      expect(ERROR_CATEGORIES).toContain(category);
    }
  });
});

describe('ValidationError', () => {
  it('names the subject, then every issue with its path', () => {
    const error = new ValidationError('patch of T-1', [
      { path: ['metadata', 'story_id'], message: 'expected string', code: 'invalid_type' },
      { path: [], message: 'must be an object' },
    ]);
    expect(error).toMatchObject({ code: 'VELLUM_VALIDATION', category: 'usage' });
    expect(error.name).toBe('ValidationError');
    expect(error.message).toBe(
      'invalid patch of T-1: metadata.story_id: expected string; (value): must be an object',
    );
    expect(error.issues[0]?.code).toBe('invalid_type');
  });

  it('keeps the cause', () => {
    const cause = new Error('bad');
    expect(new ValidationError('query', [], { cause }).cause).toBe(cause);
  });
});

describe('message convention', () => {
  it('starts with the subject', () => {
    expect(new LockTimeoutError('/s/a.json', 10, undefined).message).toBe(
      '/s/a.json: lock not acquired after 10 ms (holder unknown)',
    );
    expect(new LockCompromisedError('/s/a.json', 'taken over').message).toBe(
      '/s/a.json: lock compromised: taken over',
    );
    expect(new InvalidIdError('a/b', 'contains a path separator').message).toBe(
      'id "a/b": invalid: contains a path separator',
    );
  });
});
