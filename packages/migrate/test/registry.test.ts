import { describe, expect, it } from 'vitest';
import {
  InvalidMigrationsError,
  MigrationPlanError,
  StoreTooNewError,
  compareVersions,
  defineMigrations,
  isVersion,
  type MigrationDefinition,
} from '../src/index.js';
import { registry } from './fixtures.js';

const step = (id: string, from: string | number, to: string | number): MigrationDefinition => ({
  id,
  from,
  to,
  up: {},
  down: {},
});

describe('versions', () => {
  it('compares dotted numbers part by part; missing parts are 0', () => {
    expect(compareVersions('1', '1.0.0')).toBe(0);
    expect(compareVersions('1.10', '1.9')).toBe(1);
    expect(compareVersions('0.9.0', '1.0.0')).toBe(-1);
    expect(compareVersions('10', '9')).toBe(1);
  });

  it('accepts spec 000 counters and spec 002 semver, nothing else', () => {
    expect([3, '3', '1.0.0', '0'].every(isVersion)).toBe(true);
    expect([-1, 1.5, 'v1', '1.0.0-beta', '', ' 1', null].some(isVersion)).toBe(false);
  });
});

describe('defineMigrations', () => {
  it('orders the chain and knows its versions', () => {
    expect(registry.migrations.map((m) => m.id)).toEqual([
      '0002-priority',
      '0003-title-and-tag-list',
    ]);
    expect(registry.base).toBe('1');
    expect(registry.latest).toBe('3');
    expect(registry.versions).toEqual(['1', '2', '3']);
    expect(registry.get('0002-priority')?.upgradeOnRead).toBe(true);
  });

  it('plans up and down paths', () => {
    expect(registry.path('1', '3').map((s) => [s.migration.id, s.direction, s.from, s.to])).toEqual(
      [
        ['0002-priority', 'up', '1', '2'],
        ['0003-title-and-tag-list', 'up', '2', '3'],
      ],
    );
    expect(registry.path('3', '1').map((s) => [s.migration.id, s.direction, s.from, s.to])).toEqual(
      [
        ['0003-title-and-tag-list', 'down', '3', '2'],
        ['0002-priority', 'down', '2', '1'],
      ],
    );
    expect(registry.path('2', '2.0')).toEqual([]);
    expect(() => registry.path('1', '5')).toThrow(MigrationPlanError);
  });

  it('spec 002 semver chains work the same', () => {
    const semver = defineMigrations([
      step('1.0.0-to-1.1.0', '1.0.0', '1.1.0'),
      step('0.9.0-to-1.0.0', '0.9.0', '1.0.0'),
    ]);
    expect(semver.versions).toEqual(['0.9.0', '1.0.0', '1.1.0']);
  });

  it('lists every problem at once', () => {
    const error = (() => {
      try {
        defineMigrations([
          step('a', 1, 2),
          step('a', 2, 3),
          step('c', 4, 5),
          step('d', 4, 6),
          step('e', 'v7', 8),
          step('f', 9, 9),
          { ...step('g', 10, 11), down: 'nope' as never },
          { ...step('h', 11, 12), store: { up: () => undefined } as never },
        ]);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidMigrationsError);
    const problems = (error as InvalidMigrationsError).problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'migration a: duplicate id',
        expect.stringContaining('chain breaks between a (→ 3) and c (4 →)') as unknown,
        'c and d both start at version 4',
        expect.stringContaining('migration e: from and to must be versions') as unknown,
        'migration f: to (9) must be newer than from (9)',
        expect.stringContaining('migration g: up and down must each be') as unknown,
        'migration h: store hooks need both up and down',
      ]),
    );
    expect((error as Error).message).toMatch(/^invalid migrations: /);
    expect((error as InvalidMigrationsError).code).toBe('VELLUM_INVALID_MIGRATIONS');
  });

  it('a store hook makes a migration offline-only unless it says otherwise', () => {
    const hooks = { up: () => undefined, down: () => undefined };
    const r = defineMigrations([
      { ...step('a', 1, 2), store: hooks },
      { ...step('b', 2, 3), store: hooks, upgradeOnRead: true },
    ]);
    expect(r.migrations.map((m) => m.upgradeOnRead)).toEqual([false, true]);
  });

  it('no migrations yet: the store is at the base version, 1 unless told', () => {
    expect(defineMigrations([]).latest).toBe('1');
    expect(defineMigrations([], { base: '1.0.0' }).latest).toBe('1.0.0');
    expect(() => defineMigrations([step('a', 1, 2)], { base: 0 })).toThrow(
      /base 0 is not the oldest/,
    );
  });

  it('assertSupported: newer is StoreTooNewError, unknown is a plan error', () => {
    expect(() => registry.assertSupported('3.0.1', '/s', '/s/version')).toThrow(StoreTooNewError);
    expect(() => registry.assertSupported('2.5', '/s', '/s/version')).toThrow(MigrationPlanError);
    expect(() => registry.assertSupported('0', '/s', '/s/version')).toThrow(MigrationPlanError);
    expect(() => registry.assertSupported('2.0', '/s', '/s/version')).not.toThrow();
  });
});
