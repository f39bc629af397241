import { resolve } from 'node:path';
import { CorruptFileError, errnoOf, type ValidationIssue } from './errors.js';
import { locatePath, locateSyntaxError } from './json-position.js';
import { nodeFs, type FsLayer } from './fs-layer.js';
import { readFileOrNull } from './missing-files.js';
import { quarantineFile } from './quarantine.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { writeFileAtomic } from './write-atomic.js';

export interface RecoveryReport {
  /** The file that was corrupt. */
  path: string;
  /** Where the corrupt file was moved; it is never deleted. */
  quarantinedTo: string;
  /** The backup whose content was returned and written back to `path`. */
  restoredFrom: string;
  /** What was wrong with the file. */
  error: CorruptFileError;
}

export interface ReadJsonOptions<T> {
  /** A Standard Schema (zod 4, valibot, arktype...): the parsed value must match it. */
  schema?: StandardSchemaV1<unknown, T> | undefined;
  /**
   * When the file is corrupt and `<name>.bak` is valid: move the corrupt file
   * aside, restore the backup in its place and return its content.
   */
  fallbackToBackup?: boolean | undefined;
  /** Told about every recovery. Without it, a process warning is emitted. */
  onRecover?: ((report: RecoveryReport) => void) | undefined;
  fs?: FsLayer | undefined;
}

function issuePath(issue: { path?: readonly unknown[] | undefined }): (string | number)[] {
  return (issue.path ?? []).map((segment) => {
    const key =
      typeof segment === 'object' && segment !== null && 'key' in segment ? segment.key : segment;
    return typeof key === 'number' ? key : String(key);
  });
}

/** Parses and validates `text`, or throws a `CorruptFileError` that says where. */
async function decode<T>(
  text: string,
  path: string,
  schema: StandardSchemaV1<unknown, T> | undefined,
): Promise<T> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const where = locateSyntaxError(body);
    throw new CorruptFileError(
      `${path}:${where.line}:${where.column}: invalid JSON (${where.message})`,
      { path, line: where.line, column: where.column, offset: where.offset, cause: error },
    );
  }
  if (schema === undefined) return value as T;
  const result = await schema['~standard'].validate(value);
  if (result.issues === undefined) return result.value;
  const issues: ValidationIssue[] = result.issues.map((issue) => ({
    message: issue.message,
    path: issuePath(issue),
  }));
  const first = issues[0] ?? { message: 'invalid', path: [] };
  const where = locatePath(body, first.path);
  const field = first.path.length === 0 ? '(root)' : first.path.join('.');
  throw new CorruptFileError(
    `${path}:${where.line}:${where.column}: ${field}: ${first.message}` +
      (issues.length > 1 ? ` (and ${issues.length - 1} more issues)` : ''),
    { path, line: where.line, column: where.column, offset: where.offset, issues },
  );
}

/**
 * Reads a JSON file. A missing file reads as `null`.
 *
 * @throws {CorruptFileError} unparseable or schema-invalid, with path, line and
 *   column (and, with `fallbackToBackup`, when the backup is no better).
 */
export async function readJson<T = unknown>(
  path: string,
  options: ReadJsonOptions<T> = {},
): Promise<T | null> {
  const target = resolve(path);
  const text = await readFileOrNull(target, 'utf8');
  if (text === null) return null;
  try {
    return await decode(text, target, options.schema);
  } catch (error) {
    if (!(error instanceof CorruptFileError) || options.fallbackToBackup !== true) throw error;
    return recoverFromBackup(target, error, options);
  }
}

async function recoverFromBackup<T>(
  target: string,
  error: CorruptFileError,
  options: ReadJsonOptions<T>,
): Promise<T> {
  const fs = options.fs ?? nodeFs;
  const backup = `${target}.bak`;
  const backupText = await readFileOrNull(backup, 'utf8');
  if (backupText === null) throw error;
  let value: T;
  try {
    value = await decode(backupText, backup, options.schema);
  } catch (backupError) {
    throw new CorruptFileError(
      `${error.message}; the backup is unusable too: ${(backupError as Error).message}`,
      {
        path: target,
        line: error.line,
        column: error.column,
        offset: error.offset,
        issues: error.issues,
        cause: backupError,
      },
    );
  }
  let quarantinedTo: string;
  try {
    quarantinedTo = await quarantineFile(target, fs);
  } catch (moveError) {
    // Another reader recovered it first: read what it restored.
    if (errnoOf(moveError) === 'ENOENT') {
      const again = await readJson(target, { ...options, fallbackToBackup: false });
      if (again !== null) return again;
    }
    throw moveError;
  }
  await writeFileAtomic(target, backupText, { fs });
  const report: RecoveryReport = { path: target, quarantinedTo, restoredFrom: backup, error };
  if (options.onRecover === undefined) {
    process.emitWarning(
      `${target} was corrupt (${error.message}); restored from ${backup}, corrupt file kept at ${quarantinedTo}`,
      { code: 'VELLUM_RECOVERED_FROM_BACKUP' },
    );
  } else {
    options.onRecover(report);
  }
  return value;
}
