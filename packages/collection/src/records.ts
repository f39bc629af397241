import { SerializationError } from '@vellum/atomic-io';
import type { JournalOp } from '@vellum/journal';

/** Journal ops that store a document: a write, an import at open, an adopted hand edit. */
export type PutLike = 'put' | 'import' | 'external-put';
export const PUT_OPS: ReadonlySet<string> = new Set<string>(['put', 'import', 'external-put']);
export const DELETE_OPS: ReadonlySet<string> = new Set<string>(['delete', 'external-delete']);

/** A write about to be journaled. */
export interface Planned<T> {
  op: PutLike | 'delete';
  id: string;
  doc: T | undefined;
}

/** A planned write with its document serialized once, for the journal and for memory. */
export interface Encoded<T> extends Planned<T> {
  json: string | undefined;
}

/**
 * The journal record of a write. `data` is the validated document, used only
 * for its index keys; memory keeps `json`, the text the journal writes, so the
 * caller's object is neither kept, frozen nor copied.
 */
export function journalOp<T>(planned: Encoded<T>): JournalOp {
  return planned.json === undefined
    ? { op: planned.op, id: planned.id }
    : { op: planned.op, id: planned.id, data: planned.doc, json: planned.json };
}

/** A planned write with its text. @throws {SerializationError} the document is not JSON. */
export function encoded<T>(planned: Planned<T>): Encoded<T> {
  return {
    ...planned,
    json: planned.doc === undefined ? undefined : encodeDocument(planned.doc, planned.id),
  };
}

/**
 * The text a document is stored as, in the journal and in memory.
 * @throws {SerializationError} the document is not JSON.
 */
export function encodeDocument(doc: unknown, id: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(doc);
  } catch (error) {
    throw new SerializationError(`document ${id} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (json === undefined) throw new SerializationError(`document ${id} is not JSON`);
  return json;
}
