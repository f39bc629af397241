import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory, nodeFs, statOrNull, unlinkIfExists } from '@vellum/atomic-io';
import { Journal, listSegments, parseSegmentName, type SegmentName } from '@vellum/journal';
import { HistoryMissingError, RestoreTargetError } from './errors.js';
import { fromPosix, mapLimit, workName } from './files.js';
import { copyDurably, hashPrefix } from './hash.js';
import type { Manifest, ManifestCollection, ManifestFile } from './manifest.js';
import type { ProgressCounter } from './progress.js';

/** Where a restore stops: a sequence number of the collection's journal, or a time. */
export type CollectionTarget = { seq: number } | { time: Date };

export interface ReplayResult {
  /** The last transaction kept: what the collection holds once opened. */
  seq: number;
  /** `backup`: the backup's journal sufficed; `backup+current`: the current journal's later history was added. */
  history: 'backup' | 'backup+current';
}

function compareSegments(a: SegmentName, b: SegmentName): number {
  return a.day === b.day ? a.part - b.part : a.day < b.day ? -1 : 1;
}

interface TxMark {
  lastSeq: number;
  ts: number;
}

/** Sequence number and time of every committed transaction in `dir`. */
async function transactions(dir: string): Promise<TxMark[]> {
  const journal = await Journal.open(dir);
  try {
    const out: TxMark[] = [];
    for await (const tx of journal.read(0)) {
      out.push({ lastSeq: tx.lastSeq, ts: Date.parse(tx.ops[0]?.ts ?? '') });
    }
    return out;
  } finally {
    await journal.close();
  }
}

/**
 * Copies the current journal's continuation of the backup's into the staged
 * journal, after checking that it is one: the backup's newest segment must
 * still be there and begin with the very bytes the backup holds (same
 * history, not a store restored since and rewritten), and every later segment
 * must follow on without a gap in sequence numbers (none compacted away).
 * Checked in a scratch folder first, so a refusal leaves the staged journal as
 * the backup had it.
 * @returns why it is not a continuation, or `undefined` once merged.
 */
async function extendWithCurrent(
  staged: string,
  current: string,
  backupSegments: readonly ManifestFile[],
  collection: ManifestCollection,
  progress: ProgressCounter,
): Promise<string | undefined> {
  const newest = backupSegments.at(-1);
  const newestName = newest === undefined ? undefined : newest.path.split('/').pop();
  const newestSegment = newestName === undefined ? undefined : parseSegmentName(newestName);
  const segments = await listSegments(current);
  if (newest !== undefined && newestSegment !== undefined) {
    const path = join(current, newestSegment.name);
    if ((await statOrNull(path)) === null)
      return `its journal segment ${newestSegment.name} is gone from the current journal (compacted)`;
    const prefix = await hashPrefix(path, newest.size);
    if (prefix.size !== newest.size || prefix.sha256 !== newest.sha256)
      return `the current journal's ${newestSegment.name} does not continue the backup's (a different history)`;
  }
  const carried = segments.filter(
    (segment) => newestSegment === undefined || compareSegments(segment, newestSegment) >= 0,
  );
  const scratch = join(staged, workName('history'));
  await mkdir(scratch);
  try {
    progress.plan(carried.length, 0);
    await mapLimit(carried, 4, async (segment) => {
      const digest = await copyDurably(join(current, segment.name), join(scratch, segment.name));
      progress.done(digest.size);
    });
    const journal = await Journal.open(scratch);
    let report;
    try {
      report = await journal.verify();
    } finally {
      await journal.close();
    }
    if (report.error !== undefined)
      return `the current journal is corrupt: ${report.error.message}`;
    const first = report.segments[0];
    if (
      newest === undefined &&
      first?.firstSeq !== undefined &&
      first.firstSeq > collection.seq + 1
    )
      return `the current journal starts at ${first.firstSeq}, after the backup's ${collection.seq} (compacted)`;
    for (let i = 0; i + 1 < report.segments.length; i++) {
      const here = report.segments[i];
      const next = report.segments[i + 1];
      if (here === undefined || next === undefined) continue;
      if (
        !here.sealed ||
        (next.firstSeq !== undefined && next.firstSeq !== (here.lastSeq ?? 0) + 1)
      )
        return `a gap in the current journal between ${here.segment} and ${next.segment} (compacted)`;
    }
    for (const segment of carried)
      await rename(join(scratch, segment.name), join(staged, segment.name));
    await fsyncDirectory(nodeFs, staged);
    return undefined;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Point-in-time recovery of one collection in the staged tree: the backup's
 * journal, extended with the current journal's later history when the target
 * lies beyond the backup, is cut after the target with
 * `Journal.truncateAfter`. Opening the collection then loads the backup's
 * snapshot and replays the journal up to the target.
 *
 * The parts cut off are copies (the originals stay in the backup and in the
 * state moved aside), so the quarantine files `truncateAfter` leaves are removed.
 *
 * @throws {RestoreTargetError} the target is before what the backup's files reflect.
 * @throws {HistoryMissingError} the target is past the backup and the history up to it is not available.
 */
export async function replayTo(input: {
  manifest: Manifest;
  collection: ManifestCollection;
  staging: string;
  /** The live root, when there is one. */
  currentRoot: string | null;
  target: CollectionTarget;
  progress: ProgressCounter;
}): Promise<ReplayResult> {
  const { collection, target } = input;
  const staged = fromPosix(input.staging, collection.journalDir);
  await mkdir(staged, { recursive: true });
  const backupSegments = input.manifest.files
    .filter((file) => file.role === 'journal' && file.collection === collection.name)
    .flatMap((file) => {
      const segment = parseSegmentName(file.path.split('/').pop() ?? '');
      return segment === undefined ? [] : [{ file, segment }];
    })
    .sort((a, b) => compareSegments(a.segment, b.segment))
    .map(({ file }) => file);

  let marks = await transactions(staged);
  let history: ReplayResult['history'] = 'backup';
  const needsMore =
    'seq' in target
      ? target.seq > collection.seq
      : !marks.some((mark) => mark.ts > target.time.getTime());
  if (needsMore) {
    const current =
      input.currentRoot === null ? undefined : fromPosix(input.currentRoot, collection.journalDir);
    const reason =
      current === undefined
        ? 'there is no current store to take the later history from'
        : await extendWithCurrent(staged, current, backupSegments, collection, input.progress);
    if (reason !== undefined) throw new HistoryMissingError(collection.name, reason, current);
    history = 'backup+current';
    marks = await transactions(staged);
  }

  let seq: number;
  if ('seq' in target) {
    seq = Math.max(
      collection.materializedSeq,
      ...marks.filter((mark) => mark.lastSeq <= target.seq).map((mark) => mark.lastSeq),
    );
  } else {
    const time = target.time.getTime();
    seq = Math.max(0, ...marks.filter((mark) => mark.ts <= time).map((mark) => mark.lastSeq));
    // Every transaction in the backup is older than its completion.
    if (Date.parse(input.manifest.completedAt) <= time) seq = Math.max(seq, collection.seq);
    if (seq < collection.materializedSeq) {
      throw new RestoreTargetError(
        collection.name,
        `the backup reflects sequence ${collection.materializedSeq}, later than ${target.time.toISOString()}: restore an older backup`,
        collection.materializedSeq,
      );
    }
  }

  const journal = await Journal.open(staged);
  try {
    for (const kept of await journal.truncateAfter(seq)) {
      await unlinkIfExists(kept);
    }
  } finally {
    await journal.close();
  }
  await fsyncDirectory(nodeFs, staged);
  return { seq, history };
}
