#!/usr/bin/env node
// Enforces the layer rule: apps -> domains -> core, never backwards, no cycles.
// Reads each workspace package's declared layer ("vellum": {"layer": ...}), its
// dependencies and the imports in its sources.
// The "test" layer holds test helpers (@vellum/test-utils): any package may use
// one, but only as a devDependency and only from its tests, never from what it
// ships; a test package depends on no other layer, so it never closes a cycle.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const RANK = { core: 0, domain: 1, app: 2 };
const TEST = 'test';
const LAYERS = [...Object.keys(RANK), TEST];
const FOLDER_LAYER = { apps: 'app' };
const DEP_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

/**
 * @typedef {{ name: string, dir: string, layer: string | undefined, deps: string[], devDeps?: string[], imports: { file: string, specifier: string }[] }} WorkspacePackage
 */

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(full);
    return /\.(c|m)?[jt]sx?$/.test(entry.name) ? [full] : [];
  });
}

/** Reads the workspace packages under `root` (packages/*, apps/*, bench). */
export function loadWorkspace(root) {
  const dirs = [];
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      if (existsSync(join(base, name, 'package.json'))) dirs.push(join(base, name));
    }
  }
  if (existsSync(join(root, 'bench', 'package.json'))) dirs.push(join(root, 'bench'));
  return dirs.map((dir) => {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const deps = DEP_FIELDS.flatMap((field) => Object.keys(manifest[field] ?? {}));
    const shipped = new Set(
      DEP_FIELDS.filter((field) => field !== 'devDependencies').flatMap((field) =>
        Object.keys(manifest[field] ?? {}),
      ),
    );
    const devDeps = [...new Set(deps)].filter((dep) => !shipped.has(dep));
    const imports = ['src', 'test', 'examples'].flatMap((folder) =>
      sourceFiles(join(dir, folder)).flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(IMPORT)].map((match) => ({
          file,
          specifier: match[1],
        })),
      ),
    );
    return {
      name: manifest.name,
      dir,
      layer: manifest.vellum?.layer,
      deps,
      devDeps,
      imports,
      group: relative(root, dir).split(sep)[0],
    };
  });
}

/**
 * Every violation of the layer rule in `packages`, as readable lines.
 * @param {(WorkspacePackage & { group?: string })[]} packages
 */
export function checkLayers(packages) {
  const problems = [];
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
  for (const pkg of packages) {
    if (!LAYERS.includes(pkg.layer)) {
      problems.push(
        `${pkg.name}: package.json must declare "vellum": {"layer": "core" | "domain" | "app" | "test"}`,
      );
      continue;
    }
    problems.push(...checkTestLayer(pkg, byName));
    if (pkg.layer === TEST) continue;
    const required = FOLDER_LAYER[pkg.group];
    if (required !== undefined && pkg.layer !== required) {
      problems.push(
        `${pkg.name}: lives in ${pkg.group}/ so its layer must be "${required}", not "${pkg.layer}"`,
      );
    }
    for (const dep of pkg.deps) {
      const target = byName.get(dep);
      if (target === undefined || !(target.layer in RANK)) continue;
      if (RANK[target.layer] > RANK[pkg.layer]) {
        problems.push(`${pkg.name} (${pkg.layer}) must not depend on ${dep} (${target.layer})`);
      }
    }
    for (const { file, specifier } of pkg.imports) {
      const where = relative(pkg.dir, file);
      if (specifier.startsWith('.')) {
        const target = resolve(dirname(file), specifier);
        if (target !== pkg.dir && !target.startsWith(pkg.dir + sep)) {
          problems.push(
            `${pkg.name}: ${where} imports ${specifier}, outside the package: depend on the workspace package instead`,
          );
        }
        continue;
      }
      const name = specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : specifier.split('/')[0];
      const target = byName.get(name);
      if (target === undefined || name === pkg.name) continue;
      if (!pkg.deps.includes(name)) {
        problems.push(
          `${pkg.name}: ${where} imports ${name}, which its package.json does not declare`,
        );
      } else if (target.layer in RANK && RANK[target.layer] > RANK[pkg.layer]) {
        problems.push(
          `${pkg.name}: ${where} imports ${name} (${target.layer}) from a ${pkg.layer} package`,
        );
      }
    }
  }
  problems.push(...findCycles(packages, byName));
  return problems;
}

/** A test package is used only from tests, as a devDependency; it depends on no other layer. */
function checkTestLayer(pkg, byName) {
  const problems = [];
  const isTest = (name) => byName.get(name)?.layer === TEST;
  if (pkg.layer === TEST) {
    for (const dep of pkg.deps) {
      const target = byName.get(dep);
      if (target !== undefined && target.layer !== TEST)
        problems.push(`${pkg.name} (test) must not depend on ${dep} (${target.layer})`);
    }
    return problems;
  }
  for (const dep of pkg.deps) {
    if (isTest(dep) && !(pkg.devDeps ?? []).includes(dep))
      problems.push(`${pkg.name}: ${dep} is a test package: list it in devDependencies only`);
  }
  for (const { file, specifier } of pkg.imports) {
    const where = relative(pkg.dir, file);
    const name = specifier.startsWith('@')
      ? specifier.split('/').slice(0, 2).join('/')
      : specifier.split('/')[0];
    if (isTest(name) && where.split(sep)[0] !== 'test')
      problems.push(`${pkg.name}: ${where} imports the test package ${name} outside test/`);
  }
  return problems;
}

function findCycles(packages, byName) {
  const problems = [];
  const state = new Map();
  const stack = [];
  const visit = (pkg) => {
    state.set(pkg.name, 'open');
    stack.push(pkg.name);
    for (const dep of pkg.deps) {
      const target = byName.get(dep);
      if (target === undefined) continue;
      if (state.get(dep) === 'open') {
        problems.push(
          `dependency cycle: ${[...stack.slice(stack.indexOf(dep)), dep].join(' -> ')}`,
        );
      } else if (!state.has(dep)) {
        visit(target);
      }
    }
    stack.pop();
    state.set(pkg.name, 'done');
  };
  for (const pkg of packages) if (!state.has(pkg.name)) visit(pkg);
  return problems;
}

const isMain =
  process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const packages = loadWorkspace(root);
  const problems = checkLayers(packages);
  if (problems.length > 0) {
    console.error(
      `layer rule: ${problems.length} problem(s)\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    process.exit(1);
  }
  console.log(`layer rule: ${packages.length} packages ok (apps -> domains -> core, no cycles)`);
}
