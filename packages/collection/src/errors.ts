import {
  ATOMIC_IO_ERROR_CODES,
  VellumError,
  type AtomicIoErrorCode,
  type VellumErrorOptions,
} from '@vellum/atomic-io';
import { COLLECTION_ERROR_CODES, type CollectionErrorCode } from './codes.js';

// One `ValidationError` for every package: re-exported because this package's API has always named it.
export { ValidationError, type ValidationIssue } from '@vellum/atomic-io';

const CODES = { ...ATOMIC_IO_ERROR_CODES, ...COLLECTION_ERROR_CODES };

/**
 * The errors of `@vellum/collection`: the category comes from
 * `COLLECTION_ERROR_CODES`, or for a shared code from `ATOMIC_IO_ERROR_CODES`.
 */
export class CollectionError extends VellumError {
  constructor(
    code: CollectionErrorCode | AtomicIoErrorCode,
    message: string,
    options: VellumErrorOptions = {},
  ) {
    super(code, CODES[code], message, options);
  }
}

/** `expectedRevision` did not match: someone changed the document first. Nothing was written. */
export class ConflictError extends CollectionError {
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

/** The document does not exist (`VELLUM_NOT_FOUND`). */
export class NotFoundError extends CollectionError {
  readonly id: string;
  constructor(collection: string, id: string) {
    super('VELLUM_NOT_FOUND', `${collection}: no document ${JSON.stringify(id)}`);
    this.id = id;
  }
}

/** The collection was used after `close()`. */
export class CollectionClosedError extends CollectionError {
  constructor(name: string) {
    super('VELLUM_COLLECTION_CLOSED', `collection ${name}: closed`);
  }
}

/**
 * An open with `createIfMissing: false` found no store there (a collection's, or a domain store's
 * `what`: `'.ap-state store'`); nothing was created.
 */
export class StoreNotFoundError extends CollectionError {
  readonly collection: string;
  constructor(collection: string, root: string, what = `collection ${collection}`) {
    super('VELLUM_NO_STORE', `${root}: no ${what} there; nothing was created`, { path: root });
    this.collection = collection;
  }
}

/** An open with `errorIfExists: true` found a store there already (`what` as above). */
export class StoreExistsError extends CollectionError {
  readonly collection: string;
  constructor(collection: string, root: string, what = `collection ${collection}`) {
    super('VELLUM_STORE_EXISTS', `${root}: ${what} exists already`, { path: root });
    this.collection = collection;
  }
}
