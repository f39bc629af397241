// Checks that the packages' error code tables (`<PACKAGE>_ERROR_CODES` in each built `dist/codes.js`)
// and the catalogue in docs/errors.md agree, that no code is declared twice, and that every
// 'VELLUM_*' literal in the sources is declared somewhere. Run by scripts/check-errors.test.mjs
// after a build: the bundled CLI has no per-module dist, so its table is read from `src/codes.ts`,
// which only vitest (not Node 20 alone) can import.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const CODE = /^VELLUM_[A-Z0-9_]+$/;
const CODE_LITERAL = /'(VELLUM_[A-Z0-9_]+)'/g;

/**
 * @typedef {{ pkg: string, errors: Record<string, string>, warnings: readonly string[] }} CodeTable
 * @typedef {{ category: string, exit: number, http: number, pkg: string }} CatalogueCode
 * @typedef {{ categories: Map<string, { exit: number, http: number }>, codes: Map<string, CatalogueCode>, warnings: Map<string, string> }} Catalogue
 */

/** The workspace folders that may hold a `src/codes.ts`: `packages/*` and `apps/*`. */
function workspaceDirs(root) {
  return ['packages', 'apps'].flatMap((group) => {
    const base = join(root, group);
    if (!existsSync(base)) return [];
    return readdirSync(base)
      .filter((name) => existsSync(join(base, name, 'package.json')))
      .map((name) => join(base, name));
  });
}

/** A bundled app (`build.mjs`) has no per-module dist: its modules are read from `src`. */
function isBundled(dir) {
  return existsSync(join(dir, 'build.mjs'));
}

/** The module to import for `src/<name>.ts` of the package in `dir`: built, unless bundled. */
export function moduleOf(dir, name) {
  return isBundled(dir) ? join(dir, 'src', `${name}.ts`) : join(dir, 'dist', `${name}.js`);
}

/**
 * Imports every code table. A package's short name is its folder name.
 * Only tables named `*_ERROR_CODES` / `*_WARNING_CODES` count (the CLI's
 * `RAISABLE_CODES` merges the others and is not a declaration).
 * @returns {Promise<{ tables: CodeTable[], missing: string[] }>}
 */
export async function loadTables(root) {
  const tables = [];
  const missing = [];
  for (const dir of workspaceDirs(root)) {
    if (!existsSync(join(dir, 'src', 'codes.ts'))) continue;
    const file = moduleOf(dir, 'codes');
    if (!existsSync(file)) {
      missing.push(relative(root, file));
      continue;
    }
    const module = await import(pathToFileURL(file).href);
    const errors = {};
    const warnings = [];
    for (const [name, value] of Object.entries(module)) {
      if (name.endsWith('_ERROR_CODES')) Object.assign(errors, value);
      if (name.endsWith('_WARNING_CODES')) warnings.push(...value);
    }
    tables.push({ pkg: dir.split(/[\\/]/).pop(), errors, warnings });
  }
  return { tables, missing };
}

function cells(line) {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((cell) => cell.trim());
}

/**
 * Reads the three tables of docs/errors.md: categories (`## Categories`),
 * codes (`## Codes`) and warnings (`## Warnings`).
 * @returns {{ catalogue: Catalogue, problems: string[] }}
 */
export function parseCatalogue(markdown) {
  const catalogue = { categories: new Map(), codes: new Map(), warnings: new Map() };
  const problems = [];
  let section = '';
  for (const line of markdown.split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading !== null) {
      section = heading[1].trim().toLowerCase();
      continue;
    }
    if (!line.startsWith('|')) continue;
    const row = cells(line);
    const first = row[0].replace(/`/g, '');
    if (section === 'categories' && /^[a-z][a-z-]*$/.test(first) && first !== 'category') {
      catalogue.categories.set(first, { exit: Number(row[1]), http: Number(row[2]) });
    } else if (section === 'codes' && CODE.test(first)) {
      if (catalogue.codes.has(first)) problems.push(`docs: ${first} is listed twice`);
      catalogue.codes.set(first, {
        category: row[1],
        exit: Number(row[2]),
        http: Number(row[3]),
        pkg: row[4],
      });
    } else if (section === 'warnings' && CODE.test(first)) {
      if (catalogue.warnings.has(first)) problems.push(`docs: warning ${first} is listed twice`);
      catalogue.warnings.set(first, row[1]);
    }
  }
  return { catalogue, problems };
}

/**
 * Everything that disagrees between the tables, the catalogue, the CLI's
 * exit codes and the codes used in the sources.
 * @param {{ tables: CodeTable[], catalogue: Catalogue, exitByCategory: Record<string, number>, sourceCodes?: Map<string, string> }} input
 *   `sourceCodes`: each 'VELLUM_*' literal found in the sources, with the file it is in.
 * @returns {string[]}
 */
export function compareCatalogue({ tables, catalogue, exitByCategory, sourceCodes = new Map() }) {
  const problems = [];
  /** @type {Map<string, { pkg: string, category: string }>} */
  const declared = new Map();
  const warned = new Map();
  for (const table of tables) {
    for (const [code, category] of Object.entries(table.errors)) {
      const other =
        declared.get(code) ?? (warned.has(code) ? { pkg: warned.get(code) } : undefined);
      if (other !== undefined) {
        problems.push(`${code} is declared by both ${other.pkg} and ${table.pkg}`);
        continue;
      }
      declared.set(code, { pkg: table.pkg, category });
    }
    for (const code of table.warnings) {
      const other = declared.get(code)?.pkg ?? warned.get(code);
      if (other !== undefined) {
        problems.push(`${code} is declared by both ${other} and ${table.pkg}`);
        continue;
      }
      warned.set(code, table.pkg);
    }
  }

  const categories = Object.keys(exitByCategory);
  for (const category of categories) {
    const documented = catalogue.categories.get(category);
    if (documented === undefined) problems.push(`docs: category ${category} is not documented`);
    else if (documented.exit !== exitByCategory[category])
      problems.push(
        `docs: category ${category} exits ${documented.exit}, the CLI exits ${exitByCategory[category]}`,
      );
  }
  for (const category of catalogue.categories.keys()) {
    if (!categories.includes(category)) problems.push(`docs: unknown category ${category}`);
  }

  for (const [code, { pkg, category }] of declared) {
    const row = catalogue.codes.get(code);
    if (row === undefined) {
      problems.push(`docs: ${code} (${pkg}) is not in the catalogue`);
      continue;
    }
    if (row.pkg !== pkg)
      problems.push(`docs: ${code} is declared by ${pkg}, the catalogue says ${row.pkg}`);
    if (row.category !== category)
      problems.push(`docs: ${code} is ${category} in ${pkg}, the catalogue says ${row.category}`);
    const expected = catalogue.categories.get(category);
    if (expected !== undefined && (row.exit !== expected.exit || row.http !== expected.http))
      problems.push(
        `docs: ${code} lists exit ${row.exit} and HTTP ${row.http}; ${category} is exit ${expected.exit}, HTTP ${expected.http}`,
      );
  }
  for (const code of catalogue.codes.keys()) {
    if (!declared.has(code))
      problems.push(`docs: ${code} is in the catalogue but in no code table`);
  }

  for (const [code, pkg] of warned) {
    const documented = catalogue.warnings.get(code);
    if (documented === undefined)
      problems.push(`docs: warning ${code} (${pkg}) is not in the catalogue`);
    else if (documented !== pkg)
      problems.push(
        `docs: warning ${code} is declared by ${pkg}, the catalogue says ${documented}`,
      );
  }
  for (const code of catalogue.warnings.keys()) {
    if (!warned.has(code))
      problems.push(`docs: warning ${code} is in the catalogue but in no table`);
  }

  for (const [code, file] of sourceCodes) {
    if (!declared.has(code) && !warned.has(code))
      problems.push(`${file}: ${code} is used but declared in no code table`);
  }
  return problems;
}

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(c|m)?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Each 'VELLUM_*' literal in `packages/*\/src` and `apps/*\/src`, with the first file it is in. */
/**
 * Whether the literal at `index` names an environment variable (`VELLUM_KEEP_TEST_DIRS`), not an
 * error code: it is read from `process.env`, or held by a constant whose name ends in `ENV`.
 */
function isEnvironmentName(text, index) {
  const lineStart = text.lastIndexOf('\n', index) + 1;
  const before = text.slice(lineStart, index);
  return /process\.env|env\[\s*$|ENV\s*=\s*$/.test(before);
}

export function findSourceCodes(root) {
  const found = new Map();
  for (const dir of workspaceDirs(root)) {
    for (const file of sourceFiles(join(dir, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(CODE_LITERAL)) {
        if (isEnvironmentName(text, match.index)) continue;
        if (!found.has(match[1])) found.set(match[1], relative(root, file));
      }
    }
  }
  return found;
}

/** Every problem found in the repository at `root` (built). */
export async function checkErrors(root) {
  const { tables, missing } = await loadTables(root);
  if (missing.length > 0) return missing.map((file) => `${file}: not built (run the build first)`);
  const { catalogue, problems } = parseCatalogue(
    readFileSync(join(root, 'docs', 'errors.md'), 'utf8'),
  );
  const { EXIT_BY_CATEGORY } = await import(
    pathToFileURL(moduleOf(join(root, 'apps', 'cli'), 'exit-codes')).href
  );
  return [
    ...problems,
    ...compareCatalogue({
      tables,
      catalogue,
      exitByCategory: EXIT_BY_CATEGORY,
      sourceCodes: findSourceCodes(root),
    }),
  ];
}
