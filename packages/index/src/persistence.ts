import {
  CorruptFileError,
  type ReadJsonOptions,
  type ValidationIssue,
  type StandardSchemaV1,
} from '@vellum/atomic-io';

/** How to read an index file: `fallbackToBackup` and `onRecover`, as for `readJson`. */
export type IndexLoadOptions = Omit<ReadJsonOptions<unknown>, 'schema'>;

/** What reading a persisted shape gives: the in-memory form, or what is wrong with it. */
export type Parsed<V> = { value: V; issues?: undefined } | { issues: ValidationIssue[] };

/** Enough to locate and fix a broken file by hand without flooding the message. */
export const MAX_ISSUES = 20;

/**
 * A parser as a Standard Schema, so `readJson` reports a bad shape like bad
 * syntax: `CorruptFileError` with the path, line and column of the first issue.
 */
export function parsingSchema<V>(
  parse: (value: unknown) => Parsed<V>,
): StandardSchemaV1<unknown, V> {
  return { '~standard': { version: 1, vendor: '@vellum/index', validate: parse } };
}

/** The error for an in-memory value that is not the persisted shape. */
export function corruptValue(owner: string, issues: ValidationIssue[]): CorruptFileError {
  const [first] = issues;
  const where = first === undefined || first.path.length === 0 ? '(root)' : first.path.join('.');
  return new CorruptFileError(`${owner}: ${where}: ${first?.message ?? 'invalid'}`, { issues });
}
