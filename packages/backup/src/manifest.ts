import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoOf, formatJson } from '@vellum/atomic-io';
import { unsafePath } from './files.js';
import { sha256 } from './hash.js';

/** The manifest's file name inside a checkpoint directory (spec 000). */
export const MANIFEST = 'manifest.json';
export const MANIFEST_FORMAT = 'vellum-backup';
/** Spec 000 writes `"version":"1.0"`; a different major version is refused. */
export const MANIFEST_VERSION = '1.0';

/** What a file is to the store it came from. */
export type FileRole = 'documents' | 'indexes' | 'state' | 'journal' | 'extra';

export interface ManifestFile {
  /** Relative to the store root (and to the checkpoint directory), `/`-separated. */
  path: string;
  size: number;
  /** SHA-256 of the bytes, hex. */
  sha256: string;
  role: FileRole;
  /** The collection that owns it; absent for `extra` files. */
  collection?: string | undefined;
}

export interface ManifestCollection {
  name: string;
  /** Relative to the root, `/`-separated. */
  stateDir: string;
  journalDir: string;
  /** The journal's last sequence number in the backup: what a restore without a target gives. */
  seq: number;
  /** What the backup's files reflect: the earliest point a restore can stop at. */
  materializedSeq: number;
  /** Sequence number of the backup's `snapshot.jsonl`. */
  snapshotSeq: number;
  /** What `collection.checkpoint()` returned when the backup started. */
  checkpointSeq: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  /** The checkpoint directory's name: `YYYYMMDD_HHMMSS` (UTC), `-N` when that second was taken. */
  id: string;
  /** When the backup started (ISO-8601, UTC), as spec 000's manifest has it. */
  timestamp: string;
  /** When the last file was copied: every transaction in the backup is older. */
  completedAt: string;
  store: {
    /** What kind of store it is (`ap-state`, `pm`, `coaia`...); informational. */
    kind: string;
    /** The root it was taken from; a restore may go elsewhere. */
    root: string;
  };
  collections: ManifestCollection[];
  totals: { files: number; bytes: number };
  files: ManifestFile[];
  /**
   * SHA-256 of the manifest's own bytes with this value written as 64 zeros:
   * a changed byte anywhere in the manifest is caught, like a changed file.
   */
  checksum: string;
}

export type ManifestBody = Omit<Manifest, 'checksum'>;

const ZEROS = '0'.repeat(64);
const CHECKSUM_KEY = '"checksum": "';

/** The manifest's bytes: deterministic JSON whose `checksum` covers every other byte. */
export function serializeManifest(body: ManifestBody): { bytes: Buffer; manifest: Manifest } {
  const draft = formatJson({ ...body, checksum: ZEROS });
  const checksum = sha256(Buffer.from(draft, 'utf8'));
  const at = draft.lastIndexOf(CHECKSUM_KEY) + CHECKSUM_KEY.length;
  const text = draft.slice(0, at) + checksum + draft.slice(at + 64);
  return { bytes: Buffer.from(text, 'utf8'), manifest: { ...body, checksum } };
}

/** Why a manifest cannot be used. */
export class ManifestProblem extends Error {}

const ID = /^\d{8}_\d{6}(?:-\d+)?$/;
const HEX64 = /^[0-9a-f]{64}$/;
const ROLES = new Set<string>(['documents', 'indexes', 'state', 'journal', 'extra']);

export function isBackupId(name: string): boolean {
  return ID.test(name);
}

/** `YYYYMMDD_HHMMSS` of `date` in UTC (spec 000's `date +%Y%m%d_%H%M%S`, without the local zone). */
export function formatStamp(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}_${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** Orders ids by time, then by their `-N` suffix as a number. */
export function compareIds(a: string, b: string): number {
  const [baseA = '', nA = '1'] = a.split('-');
  const [baseB = '', nB = '1'] = b.split('-');
  return baseA === baseB ? Number(nA) - Number(nB) : baseA < baseB ? -1 : 1;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

function checkFile(value: unknown, i: number): ManifestFile {
  const where = `files[${i}]`;
  if (!isObject(value)) throw new ManifestProblem(`${where} is not an object`);
  const { path, size, sha256: digest, role, collection } = value;
  if (typeof path !== 'string') throw new ManifestProblem(`${where}.path is not a string`);
  const unsafe = unsafePath(path);
  if (unsafe !== undefined) throw new ManifestProblem(`${where}.path ${path}: ${unsafe}`);
  if (path === MANIFEST) throw new ManifestProblem(`${where}.path is the manifest itself`);
  if (!isCount(size)) throw new ManifestProblem(`${where}.size is not a byte count`);
  if (typeof digest !== 'string' || !HEX64.test(digest))
    throw new ManifestProblem(`${where}.sha256 is not a SHA-256`);
  if (typeof role !== 'string' || !ROLES.has(role))
    throw new ManifestProblem(`${where}.role is unknown`);
  if (collection !== undefined && typeof collection !== 'string')
    throw new ManifestProblem(`${where}.collection is not a string`);
  return {
    path,
    size,
    sha256: digest,
    role: role as FileRole,
    ...(collection === undefined ? {} : { collection }),
  };
}

function checkCollection(value: unknown, i: number): ManifestCollection {
  const where = `collections[${i}]`;
  if (!isObject(value)) throw new ManifestProblem(`${where} is not an object`);
  const { name, stateDir, journalDir, seq, materializedSeq, snapshotSeq, checkpointSeq } = value;
  if (typeof name !== 'string' || name === '')
    throw new ManifestProblem(`${where}.name is not a name`);
  for (const [key, dir] of [
    ['stateDir', stateDir],
    ['journalDir', journalDir],
  ] as const) {
    if (typeof dir !== 'string' || unsafePath(dir) !== undefined)
      throw new ManifestProblem(`${where}.${key} is not a safe relative path`);
  }
  for (const [key, n] of Object.entries({ seq, materializedSeq, snapshotSeq, checkpointSeq })) {
    if (!isCount(n)) throw new ManifestProblem(`${where}.${key} is not a sequence number`);
  }
  return {
    name,
    stateDir: stateDir as string,
    journalDir: journalDir as string,
    seq: seq as number,
    materializedSeq: materializedSeq as number,
    snapshotSeq: snapshotSeq as number,
    checkpointSeq: checkpointSeq as number,
  };
}

/**
 * Parses and checks a manifest: its checksum over its own bytes, its version,
 * and that every field has its type and every path is safe.
 * @throws {ManifestProblem} saying what is wrong.
 */
export function parseManifest(bytes: Buffer): Manifest {
  const text = bytes.toString('utf8');
  const at = text.lastIndexOf(CHECKSUM_KEY);
  if (at < 0) throw new ManifestProblem('no checksum (not a Vellum backup manifest)');
  const start = at + CHECKSUM_KEY.length;
  const recorded = text.slice(start, start + 64);
  const actual = sha256(Buffer.from(text.slice(0, start) + ZEROS + text.slice(start + 64), 'utf8'));
  if (recorded !== actual) throw new ManifestProblem('checksum mismatch: the manifest was changed');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ManifestProblem(`not JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw new ManifestProblem('not an object');
  if (value.format !== MANIFEST_FORMAT) throw new ManifestProblem('not a Vellum backup manifest');
  if (value.version !== MANIFEST_VERSION)
    throw new ManifestProblem(`unsupported version ${JSON.stringify(value.version)}`);
  const { id, timestamp, completedAt, store, collections, totals, files, checksum } = value;
  if (typeof id !== 'string' || !ID.test(id)) throw new ManifestProblem('id is not a backup id');
  if (!isTime(timestamp) || !isTime(completedAt))
    throw new ManifestProblem('timestamp or completedAt is not a time');
  if (!isObject(store) || typeof store.kind !== 'string' || typeof store.root !== 'string')
    throw new ManifestProblem('store is not { kind, root }');
  if (!Array.isArray(collections)) throw new ManifestProblem('collections is not a list');
  if (!isObject(totals) || !isCount(totals.files) || !isCount(totals.bytes))
    throw new ManifestProblem('totals is not { files, bytes }');
  if (!Array.isArray(files)) throw new ManifestProblem('files is not a list');
  const checkedFiles = files.map(checkFile);
  const seen = new Set<string>();
  for (const file of checkedFiles) {
    if (seen.has(file.path)) throw new ManifestProblem(`${file.path} is listed twice`);
    seen.add(file.path);
  }
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    id,
    timestamp,
    completedAt,
    store: { kind: store.kind, root: store.root },
    collections: collections.map(checkCollection),
    totals: { files: totals.files, bytes: totals.bytes },
    files: checkedFiles,
    checksum: checksum as string,
  };
}

/**
 * Reads `<dir>/manifest.json`.
 * @returns the manifest, or the reason it is unusable (a missing manifest is a reason too:
 *   the checkpoint was never completed).
 */
export async function readManifest(dir: string): Promise<Manifest | ManifestProblem> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(dir, MANIFEST));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return new ManifestProblem('no manifest.json');
    return new ManifestProblem(`cannot read manifest.json: ${(error as Error).message}`);
  }
  try {
    return parseManifest(bytes);
  } catch (error) {
    if (error instanceof ManifestProblem) return error;
    throw error;
  }
}
