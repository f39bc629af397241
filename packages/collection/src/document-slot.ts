import { CorruptFileError } from '@vellum/atomic-io';

/**
 * A document as the collection holds it. One loaded from a snapshot, or
 * written by this process, is kept as the JSON text it was stored as and
 * parsed (and frozen) on first use: opening a large store or importing many
 * documents then costs no parse, copy or freeze for documents nobody reads.
 */
export class DocumentSlot<T> {
  readonly revision: number;
  #doc: T | undefined;
  #json: string | undefined;
  /** Where the text came from, for the error if it does not parse. */
  readonly #source: string | undefined;

  private constructor(
    revision: number,
    doc: T | undefined,
    json: string | undefined,
    source?: string,
  ) {
    this.revision = revision;
    this.#doc = doc;
    this.#json = json;
    this.#source = source;
  }

  /** Holds `doc` itself, frozen: the caller must not keep a mutable reference to it. */
  static ofDocument<T>(doc: T, revision: number): DocumentSlot<T> {
    return new DocumentSlot<T>(revision, deepFreeze(doc), undefined);
  }

  /** Holds the text; `source` names the file it came from. */
  static ofJson<T>(json: string, revision: number, source?: string): DocumentSlot<T> {
    return new DocumentSlot<T>(revision, undefined, json, source);
  }

  /**
   * The document, parsed and frozen on first use.
   * @throws {CorruptFileError} the stored text is not JSON (a damaged snapshot).
   */
  get doc(): T {
    if (this.#json !== undefined) {
      try {
        this.#doc = deepFreeze(JSON.parse(this.#json) as T);
      } catch (error) {
        const where = this.#source ?? 'stored document';
        throw new CorruptFileError(`${where}: a stored document is not valid JSON`, {
          path: this.#source,
          cause: error,
        });
      }
      // The parsed form replaces the text: one copy in memory, not two.
      this.#json = undefined;
    }
    return this.#doc as T;
  }

  /** The document as JSON text, without parsing it when it is still text. */
  json(): string {
    return this.#json ?? JSON.stringify(this.#doc);
  }
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
