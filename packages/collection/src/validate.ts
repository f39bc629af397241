import { InvalidIdError, assertSafeId, type StandardSchemaV1 } from '@vellum/atomic-io';
import { ValidationError, type ValidationIssue } from './errors.js';

function pathOf(issue: { path?: readonly unknown[] | undefined }): (string | number)[] {
  return (issue.path ?? []).map((segment) => {
    const key =
      typeof segment === 'object' && segment !== null && 'key' in segment ? segment.key : segment;
    return typeof key === 'number' ? key : String(key);
  });
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
  const result = await schema['~standard'].validate(value);
  if (result.issues === undefined) return result.value;
  const issues: ValidationIssue[] = result.issues.map((issue) => ({
    path: pathOf(issue),
    message: issue.message,
  }));
  throw new ValidationError(subject, issues);
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
