import { VellumError } from '@vellum/atomic-io';

export interface ValidationIssue {
  /** Where in the document, e.g. `['metadata', 'story_id']`; empty for the whole document. */
  path: (string | number)[];
  message: string;
}

function describeIssues(issues: readonly ValidationIssue[]): string {
  return issues
    .map(
      (issue) =>
        `${issue.path.length === 0 ? '(document)' : issue.path.join('.')}: ${issue.message}`,
    )
    .join('; ');
}

/** Bad input: a document that fails its schema, an unsafe id, a bad query. Nothing was written. */
export class ValidationError extends VellumError {
  readonly issues: readonly ValidationIssue[];
  constructor(
    subject: string,
    issues: readonly ValidationIssue[],
    options: { cause?: unknown } = {},
  ) {
    super('VELLUM_VALIDATION', `invalid ${subject}: ${describeIssues(issues)}`, options);
    this.issues = issues;
  }
}

/** `expectedRevision` did not match: someone changed the document first. Nothing was written. */
export class ConflictError extends VellumError {
  readonly id: string;
  readonly expectedRevision: number;
  readonly actualRevision: number | undefined;
  constructor(id: string, expectedRevision: number, actualRevision: number | undefined) {
    super(
      'VELLUM_CONFLICT',
      `${id}: expected revision ${expectedRevision}, found ${actualRevision === undefined ? 'no document' : `revision ${actualRevision}`}`,
    );
    this.id = id;
    this.expectedRevision = expectedRevision;
    this.actualRevision = actualRevision;
  }
}

/** The document does not exist. */
export class NotFoundError extends VellumError {
  readonly id: string;
  constructor(collection: string, id: string) {
    super('VELLUM_NOT_FOUND', `${collection}: no document ${JSON.stringify(id)}`);
    this.id = id;
  }
}

/** The collection was used after `close()`. */
export class CollectionClosedError extends VellumError {
  constructor(name: string) {
    super('VELLUM_COLLECTION_CLOSED', `collection ${name} is closed`);
  }
}

/** `Collection.open` with `createIfMissing: false` found no collection there; nothing was created. */
export class StoreNotFoundError extends VellumError {
  readonly collection: string;
  constructor(collection: string, root: string) {
    super('VELLUM_NO_STORE', `no collection ${collection} at ${root}: nothing was created`, {
      path: root,
    });
    this.collection = collection;
  }
}

/** `Collection.open` with `errorIfExists: true` found a collection there already. */
export class StoreExistsError extends VellumError {
  readonly collection: string;
  constructor(collection: string, root: string) {
    super('VELLUM_STORE_EXISTS', `collection ${collection} already exists at ${root}`, {
      path: root,
    });
    this.collection = collection;
  }
}
