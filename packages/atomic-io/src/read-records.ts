import type { FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CorruptFileError, TornTailError, type TornTail } from './errors.js';
import { locateSyntaxError } from './json-position.js';
import { openOrNull } from './missing-files.js';

export interface JsonlRecord<T = unknown> {
  value: T;
  /** 1-based line number. */
  line: number;
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Byte offset just past the line (and its newline). */
  end: number;
}

export interface ReadRecordsOptions {
  /**
   * Extra check of each parsed line (a checksum, a required field). Returning
   * false or throwing marks the line bad, like a parse error.
   */
  verify?: ((value: unknown, line: string) => boolean) | undefined;
  /** Told about a torn tail instead of the reader throwing `TornTailError` after the last good record. */
  onTornTail?: ((tail: TornTail) => void) | undefined;
  /** Start at this byte offset (a line boundary), e.g. to read only what was appended since. */
  startOffset?: number | undefined;
  /** Line number of the line at `startOffset`. Default 1. */
  startLine?: number | undefined;
}

interface RawLine {
  text: string;
  line: number;
  offset: number;
  end: number;
  /** false for a last line with no newline after it. */
  terminated: boolean;
}

const CHUNK = 1 << 16;

async function* scanLines(
  handle: FileHandle,
  startOffset: number,
  startLine: number,
): AsyncGenerator<RawLine> {
  // Pieces of the current line from earlier chunks: joined once, at its newline, so a
  // line of many megabytes costs one copy, not one per chunk.
  let pieces: Buffer[] = [];
  let lineOffset = startOffset;
  let position = startOffset;
  let line = startLine;
  for (;;) {
    const chunk = Buffer.allocUnsafe(CHUNK);
    const { bytesRead } = await handle.read(chunk, 0, CHUNK, position);
    if (bytesRead === 0) break;
    const data = chunk.subarray(0, bytesRead);
    let lineStart = 0;
    for (let newline = data.indexOf(10); newline !== -1; newline = data.indexOf(10, lineStart)) {
      const head = data.subarray(lineStart, newline);
      const bytes = pieces.length === 0 ? head : Buffer.concat([...pieces, head]);
      pieces = [];
      yield {
        text: bytes.toString('utf8'),
        line,
        offset: lineOffset,
        end: position + newline + 1,
        terminated: true,
      };
      line++;
      lineStart = newline + 1;
      lineOffset = position + lineStart;
    }
    if (lineStart < bytesRead) pieces.push(data.subarray(lineStart));
    position += bytesRead;
  }
  if (pieces.length > 0) {
    const bytes = Buffer.concat(pieces);
    yield {
      text: bytes.toString('utf8'),
      line,
      offset: lineOffset,
      end: lineOffset + bytes.length,
      terminated: false,
    };
  }
}

interface BadLine {
  line: number;
  offset: number;
  column: number;
  message: string;
  terminated: boolean;
}

function judge(
  raw: RawLine,
  verify: ReadRecordsOptions['verify'],
): { ok: true; value: unknown } | { ok: false; bad: BadLine } {
  const bad = (message: string, column = 1): { ok: false; bad: BadLine } => ({
    ok: false,
    bad: { line: raw.line, offset: raw.offset, column, message, terminated: raw.terminated },
  });
  let value: unknown;
  try {
    value = JSON.parse(raw.text);
  } catch {
    const where = locateSyntaxError(raw.text);
    return bad(`invalid JSON (${where.message})`, where.column);
  }
  try {
    if (verify !== undefined && !verify(value, raw.text)) return bad('record failed verification');
  } catch (error) {
    return bad((error as Error).message);
  }
  return { ok: true, value };
}

/**
 * Streams the records of a JSONL file. A missing file has no records; blank
 * lines are skipped; the last line's newline is optional (other tools omit it).
 *
 * Bad lines at the end, with no good line after them, are a torn tail: the
 * reader yields every good record, then throws `TornTailError` (or calls
 * `onTornTail`). A bad line followed by a good one is corruption: it throws
 * `CorruptFileError` with the line number and yields nothing past it.
 */
export async function* readRecords<T = unknown>(
  path: string,
  options: ReadRecordsOptions = {},
): AsyncGenerator<JsonlRecord<T>, void, undefined> {
  const target = resolve(path);
  const handle = await openOrNull(target);
  if (handle === null) return;
  try {
    let firstBad: BadLine | undefined;
    let end = options.startOffset ?? 0;
    for await (const raw of scanLines(handle, options.startOffset ?? 0, options.startLine ?? 1)) {
      end = raw.end;
      if (raw.text.trim() === '') {
        if (!raw.terminated && firstBad === undefined) {
          firstBad = {
            line: raw.line,
            offset: raw.offset,
            column: 1,
            message: 'incomplete line',
            terminated: false,
          };
        }
        continue;
      }
      const verdict = judge(raw, options.verify);
      if (!verdict.ok) {
        firstBad ??= verdict.bad;
        continue;
      }
      if (firstBad !== undefined) {
        throw new CorruptFileError(
          `${target}:${firstBad.line}:${firstBad.column}: ${firstBad.message}, followed by valid records (line ${raw.line}): the file is corrupt, not torn`,
          { path: target, line: firstBad.line, column: firstBad.column, offset: firstBad.offset },
        );
      }
      yield { value: verdict.value as T, line: raw.line, offset: raw.offset, end: raw.end };
    }
    if (firstBad !== undefined) {
      const tail: TornTail = {
        line: firstBad.line,
        offset: firstBad.offset,
        bytes: end - firstBad.offset,
        reason: firstBad.terminated ? 'invalid-line' : 'incomplete-line',
      };
      if (options.onTornTail === undefined) {
        throw new TornTailError(
          `${target}:${tail.line}: torn tail of ${tail.bytes} bytes at offset ${tail.offset} (${firstBad.message}); repairTail() cuts it and keeps the bytes`,
          { path: target, tail },
        );
      }
      options.onTornTail(tail);
    }
  } finally {
    await handle.close();
  }
}

export interface ScanResult {
  records: number;
  tail: TornTail | undefined;
}

/**
 * Reads a whole JSONL file for its shape: how many good records, and the torn tail if any.
 * @throws {CorruptFileError} a bad line is followed by good ones.
 */
export async function scanRecords(
  path: string,
  options: Omit<ReadRecordsOptions, 'onTornTail'> = {},
): Promise<ScanResult> {
  let records = 0;
  let tail: TornTail | undefined;
  for await (const _record of readRecords(path, {
    ...options,
    onTornTail: (found) => (tail = found),
  }))
    records++;
  return { records, tail };
}
