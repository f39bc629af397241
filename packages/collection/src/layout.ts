import type { CorruptFileError } from '@vellum/atomic-io';

/** What a layout can do; shared code and tests branch on these, never on a class. */
export interface LayoutCapabilities {
  /** One file per document: a write touches only the changed documents' files. */
  perDocument: boolean;
  /** Documents keep the order they were added in. */
  ordered: boolean;
}

/** The collection's current documents, as a layout sees them when writing. */
export interface LayoutState<T> {
  /** Every document, in collection order. */
  entries(): Iterable<readonly [string, T]>;
  get(id: string): T | undefined;
  /** Every document as its JSON text (no indentation), in collection order: what a JSONL writer needs, without parsing documents held as text. */
  jsonEntries(): Iterable<readonly [string, string]>;
}

/** A document read from a materialized file, not yet validated. */
export interface LayoutEntry {
  id: string;
  doc: unknown;
  /** Absolute path of the file it came from. */
  file: string;
}

export interface LayoutRead {
  entries: LayoutEntry[];
  /** Files that could not be read: reported and left in place, never skipped silently. */
  problems: CorruptFileError[];
}

/**
 * How documents are materialized as human-readable files under a root
 * directory. Every layout passes the same conformance suite.
 */
export interface Layout<T> {
  readonly name: string;
  readonly capabilities: LayoutCapabilities;
  /** Absolute paths of the files the layout has on disk now. */
  files(root: string): Promise<string[]>;
  /** The id of the document a file holds, from its path alone (per-document layouts), for files that cannot be read. */
  idOf?(root: string, file: string): string | undefined;
  /** Every document in the files; with `files`, only those files (a per-document layout reads just them). */
  read(root: string, files?: readonly string[]): Promise<LayoutRead>;
  /**
   * Brings the files up to date for the changed ids. `changed` maps each id
   * to the versions of it that may be on disk now (empty when it had none),
   * so a layout can remove a file the document no longer lives in.
   * @returns the absolute paths written or removed.
   */
  write(
    root: string,
    state: LayoutState<T>,
    changed: ReadonlyMap<string, readonly T[]>,
  ): Promise<string[]>;
}
