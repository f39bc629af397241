import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkErrors,
  compareCatalogue,
  findSourceCodes,
  loadTables,
  parseCatalogue,
} from './check-errors.mjs';

const root = resolve(import.meta.dirname, '..');

const EXIT = { usage: 2, 'not-found': 3, conflict: 4, corruption: 5, failure: 1 };

const DOC = `# Errors

## Categories

| category | exit | HTTP | meaning | what to do |
|---|---|---|---|---|
| usage | 2 | 400 | wrong | fix |
| not-found | 3 | 404 | missing | check |
| conflict | 4 | 409 | taken | retry |
| corruption | 5 | 500 | damaged | repair |
| failure | 1 | 500 | failed | see |

## Codes

| code | category | exit | HTTP | package | when |
|---|---|---|---|---|---|
| \`VELLUM_A\` | usage | 2 | 400 | low | a |
| \`VELLUM_B\` | conflict | 4 | 409 | high | b |

## Warnings

| code | package | meaning |
|---|---|---|
| \`VELLUM_W\` | high | w |
`;

function tables(overrides = {}) {
  return [
    { pkg: 'low', errors: { VELLUM_A: 'usage' }, warnings: [] },
    { pkg: 'high', errors: { VELLUM_B: 'conflict' }, warnings: ['VELLUM_W'], ...overrides },
  ];
}

function problemsOf(doc, codeTables, sourceCodes) {
  const { catalogue, problems } = parseCatalogue(doc);
  return [
    ...problems,
    ...compareCatalogue({ tables: codeTables, catalogue, exitByCategory: EXIT, sourceCodes }),
  ];
}

describe('error catalogue', () => {
  it('agrees with every package code table in this repository', async () => {
    const { tables: found, missing } = await loadTables(root);
    expect(missing).toEqual([]);
    expect(found.map((table) => table.pkg).sort()).toEqual([
      'atomic-io',
      'backup',
      'cache',
      'cli',
      'collection',
      'external-ids',
      'health',
      'index',
      'journal',
      'migrate',
    ]);
    expect(findSourceCodes(root).get('VELLUM_USAGE')).toMatch(/^apps\/cli\/src\//);
    expect(await checkErrors(root)).toEqual([]);
  });

  it('accepts tables and a catalogue that agree', () => {
    expect(problemsOf(DOC, tables(), new Map([['VELLUM_W', 'high/src/a.ts']]))).toEqual([]);
  });

  it('rejects a code declared by two packages', () => {
    const problems = problemsOf(
      DOC,
      tables({ errors: { VELLUM_A: 'usage', VELLUM_B: 'conflict' } }),
    );
    expect(problems).toContain('VELLUM_A is declared by both low and high');
  });

  it('rejects a category that differs from the catalogue', () => {
    expect(problemsOf(DOC, tables({ errors: { VELLUM_B: 'failure' } }))).toContain(
      'docs: VELLUM_B is failure in high, the catalogue says conflict',
    );
  });

  it('rejects a code missing from the catalogue, and a catalogue row without a code', () => {
    const problems = problemsOf(DOC, tables({ errors: { VELLUM_C: 'failure' } }));
    expect(problems).toContain('docs: VELLUM_C (high) is not in the catalogue');
    expect(problems).toContain('docs: VELLUM_B is in the catalogue but in no code table');
  });

  it('rejects an exit code or HTTP status that is not the category’s', () => {
    const doc = DOC.replace(
      '| `VELLUM_B` | conflict | 4 | 409 |',
      '| `VELLUM_B` | conflict | 1 | 500 |',
    );
    expect(problemsOf(doc, tables())).toContain(
      'docs: VELLUM_B lists exit 1 and HTTP 500; conflict is exit 4, HTTP 409',
    );
    const exits = DOC.replace('| conflict | 4 | 409 |', '| conflict | 1 | 409 |');
    expect(problemsOf(exits, tables())).toContain(
      'docs: category conflict exits 1, the CLI exits 4',
    );
  });

  it('rejects a warning missing from the catalogue, or one the tables do not declare', () => {
    expect(problemsOf(DOC, tables({ warnings: ['VELLUM_V'] }))).toEqual([
      'docs: warning VELLUM_V (high) is not in the catalogue',
      'docs: warning VELLUM_W is in the catalogue but in no table',
    ]);
  });

  it('rejects a code used in the sources that no table declares', () => {
    expect(problemsOf(DOC, tables(), new Map([['VELLUM_X', 'high/src/a.ts']]))).toEqual([
      'high/src/a.ts: VELLUM_X is used but declared in no code table',
    ]);
  });
});
