import { InvalidIdError, assertSafeId, type StandardSchemaV1 } from '@vellum/atomic-io';
import { ValidationError, type ValidationIssue } from './errors.js';

function pathOf(issue: { path?: readonly unknown[] | undefined }): (string | number)[] {
  return (issue.path ?? []).map((segment) => {
    const key =
      typeof segment === 'object' && segment !== null && 'key' in segment ? segment.key : segment;
    return typeof key === 'number' ? key : String(key);
  });
}

type Result<T> = Awaited<ReturnType<StandardSchemaV1<unknown, T>['~standard']['validate']>>;

function unwrap<T>(result: Result<T>, subject: string): T {
  if (result.issues === undefined) return result.value;
  const issues: ValidationIssue[] = result.issues.map((issue) => ({
    path: pathOf(issue),
    message: issue.message,
  }));
  throw new ValidationError(subject, issues);
}

/**
 * Validates `value` with the schema and returns the parsed document.
 * @throws {ValidationError} listing every issue with its path.
 */
export async function validateDocument<T>(
  schema: StandardSchemaV1<unknown, T>,
  value: unknown,
  subject: string,
): Promise<T> {
  return unwrap(await schema['~standard'].validate(value), subject);
}

/**
 * Validates many values, without a promise per value when the schema answers
 * synchronously (zod, valibot and arktype do for synchronous schemas).
 * @throws {ValidationError} for the first invalid value, with `subjectOf` its subject.
 */
export async function validateDocuments<T>(
  schema: StandardSchemaV1<unknown, T>,
  values: readonly unknown[],
  subjectOf: (i: number) => string,
): Promise<T[]> {
  const out: T[] = [];
  for (const [i, value] of values.entries()) {
    const result = schema['~standard'].validate(value);
    out.push(unwrap(result instanceof Promise ? await result : result, subjectOf(i)));
  }
  return out;
}

/** Where a document's id comes from: a member, or a function of the document. */
export interface IdSource {
  /** Names the id in errors (the member, or a description). */
  field: string;
  of: (doc: unknown) => unknown;
}

/**
 * The id of a document, checked to be safe as a file name.
 * @throws {ValidationError} naming the id field.
 */
export function idOfDocument(doc: unknown, source: IdSource, subject: string): string {
  const id = source.of(doc);
  try {
    assertSafeId(id, source.field);
  } catch (error) {
    const reason = error instanceof InvalidIdError ? error.reason : String(error);
    throw new ValidationError(subject, [{ path: [source.field], message: reason }], {
      cause: error,
    });
  }
  return id;
}
