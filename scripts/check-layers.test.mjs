import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkLayers, loadWorkspace } from './check-layers.mjs';

const root = resolve(import.meta.dirname, '..');

function pkg(name, layer, deps = [], imports = [], group = 'packages') {
  const dir = join('/repo', group, name.replace('@vellum/', ''));
  return {
    name,
    layer,
    deps,
    imports: imports.map((specifier) => ({ file: join(dir, 'src', 'index.ts'), specifier })),
    dir,
    group,
  };
}

describe('layer rule', () => {
  it('holds for this repository', () => {
    const packages = loadWorkspace(root);
    expect(packages.map((p) => p.name)).toContain('@vellum/atomic-io');
    expect(checkLayers(packages)).toEqual([]);
  });

  it('accepts apps -> domains -> core', () => {
    const packages = [
      pkg('@vellum/atomic-io', 'core'),
      pkg('@vellum/journal', 'core', ['@vellum/atomic-io'], ['@vellum/atomic-io']),
      pkg('@vellum/tasks', 'domain', ['@vellum/journal'], ['@vellum/journal']),
      pkg('@vellum/cli', 'app', ['@vellum/tasks'], ['@vellum/tasks'], 'apps'),
    ];
    expect(checkLayers(packages)).toEqual([]);
  });

  it('rejects a core package that depends on or imports a domain', () => {
    const problems = checkLayers([
      pkg('@vellum/atomic-io', 'core', ['@vellum/tasks'], ['@vellum/tasks']),
      pkg('@vellum/tasks', 'domain'),
    ]);
    expect(problems).toEqual([
      '@vellum/atomic-io (core) must not depend on @vellum/tasks (domain)',
      '@vellum/atomic-io: src/index.ts imports @vellum/tasks (domain) from a core package',
    ]);
  });

  it('rejects a domain that depends on an app', () => {
    const problems = checkLayers([
      pkg('@vellum/tasks', 'domain', ['@vellum/cli']),
      pkg('@vellum/cli', 'app', [], [], 'apps'),
    ]);
    expect(problems).toEqual(['@vellum/tasks (domain) must not depend on @vellum/cli (app)']);
  });

  it('rejects cycles, undeclared imports, imports across package folders and missing layers', () => {
    const problems = checkLayers([
      pkg('@vellum/a', 'core', ['@vellum/b']),
      pkg('@vellum/b', 'core', ['@vellum/a'], ['@vellum/c', '../../c/src/index.js']),
      pkg('@vellum/c', 'core'),
      pkg('@vellum/d', undefined),
      pkg('@vellum/e', 'domain', [], [], 'apps'),
    ]);
    expect(problems).toEqual([
      '@vellum/b: src/index.ts imports @vellum/c, which its package.json does not declare',
      '@vellum/b: src/index.ts imports ../../c/src/index.js, outside the package: depend on the workspace package instead',
      '@vellum/d: package.json must declare "vellum": {"layer": "core" | "domain" | "app" | "test"}',
      '@vellum/e: lives in apps/ so its layer must be "app", not "domain"',
      'dependency cycle: @vellum/a -> @vellum/b -> @vellum/a',
    ]);
  });

  it('lets any package use a test package from its tests, as a devDependency', () => {
    const utils = pkg('@vellum/test-utils', 'test');
    const core = {
      ...pkg('@vellum/atomic-io', 'core', ['@vellum/test-utils']),
      devDeps: ['@vellum/test-utils'],
      imports: [
        { file: '/repo/packages/atomic-io/test/helpers.ts', specifier: '@vellum/test-utils' },
      ],
    };
    expect(checkLayers([utils, core])).toEqual([]);
  });

  it('rejects a test package shipped, imported from src, or depending on another layer', () => {
    const problems = checkLayers([
      pkg('@vellum/test-utils', 'test', ['@vellum/atomic-io']),
      pkg('@vellum/atomic-io', 'core', ['@vellum/test-utils'], ['@vellum/test-utils']),
    ]);
    expect(problems).toEqual([
      '@vellum/test-utils (test) must not depend on @vellum/atomic-io (core)',
      '@vellum/atomic-io: @vellum/test-utils is a test package: list it in devDependencies only',
      '@vellum/atomic-io: src/index.ts imports the test package @vellum/test-utils outside test/',
      'dependency cycle: @vellum/test-utils -> @vellum/atomic-io -> @vellum/test-utils',
    ]);
  });
});
