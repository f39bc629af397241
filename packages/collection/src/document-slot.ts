import { readSync } from 'node:fs';
import { CorruptFileError } from '@vellum/atomic-io';

/** An open file that documents' text is read from on demand (the snapshot). */
export interface TextSource {
  fd: number;
  path: string;
}

/**
 * A document as the collection holds it. One loaded from the snapshot stays
 * in the file, as the place of its text, until it is first used; one written
 * by this process is kept as the JSON text the journal got. Either is parsed
 * (and frozen) on first use: opening a large store or importing many
 * documents costs no parse, copy or freeze for documents nobody reads.
 */
export class DocumentSlot<T> {
  readonly revision: number;
  #doc: T | undefined;
  #json: string | undefined;
  #source: TextSource | undefined;
  #offset = 0;
  #length = 0;

  private constructor(revision: number, doc: T | undefined, json: string | undefined) {
    this.revision = revision;
    this.#doc = doc;
    this.#json = json;
  }

  /** Holds `doc` itself, frozen: the caller must not keep a mutable reference to it. */
  static ofDocument<T>(doc: T, revision: number): DocumentSlot<T> {
    return new DocumentSlot<T>(revision, deepFreeze(doc), undefined);
  }

  /** Holds the text. */
  static ofJson<T>(json: string, revision: number): DocumentSlot<T> {
    return new DocumentSlot<T>(revision, undefined, json);
  }

  /** Reads the text from `source` when first needed. */
  static inFile<T>(
    source: TextSource,
    offset: number,
    length: number,
    revision: number,
  ): DocumentSlot<T> {
    const slot = new DocumentSlot<T>(revision, undefined, undefined);
    slot.#source = source;
    slot.#offset = offset;
    slot.#length = length;
    return slot;
  }

  /**
   * The document, parsed and frozen on first use.
   * @throws {CorruptFileError} the stored text is not JSON (a damaged snapshot).
   */
  get doc(): T {
    if (this.#doc === undefined) {
      const json = this.json();
      try {
        this.#doc = deepFreeze(JSON.parse(json) as T);
      } catch (error) {
        const path = this.#source?.path;
        throw new CorruptFileError(
          `${path ?? 'stored document'}${path === undefined ? '' : `:@${this.#offset}`}: a stored document is not valid JSON`,
          { path, offset: this.#offset, cause: error },
        );
      }
      // The parsed form replaces the text: one copy in memory, not two.
      this.#json = undefined;
      this.#source = undefined;
    }
    return this.#doc;
  }

  /** The document as JSON text, without parsing it when it is not parsed yet. */
  json(): string {
    if (this.#json !== undefined) return this.#json;
    const source = this.#source;
    if (source !== undefined) {
      // Synchronous, like a database page read: the getter must answer now, and the page cache usually has it.
      const bytes = Buffer.allocUnsafe(this.#length);
      let read = 0;
      while (read < this.#length) {
        const n = readSync(source.fd, bytes, read, this.#length - read, this.#offset + read);
        // The snapshot is only ever replaced by rename; a shorter file was changed in place.
        if (n === 0) {
          throw new CorruptFileError(
            `${source.path}:@${this.#offset}: a stored document is cut short (the file changed while open)`,
            { path: source.path, offset: this.#offset },
          );
        }
        read += n;
      }
      return bytes.toString('utf8');
    }
    return JSON.stringify(this.#doc);
  }
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
