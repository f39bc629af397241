import { z } from 'zod';

/**
 * The on-disk formats. The mapping and counter files are exactly spec 003's
 * (`version`, `updated`, `mappings` / `counters`); the sync-metadata file is
 * ours and kept apart so those two stay exact. Unknown fields are preserved
 * on rewrite, so a newer 1.x writer's additions survive us.
 */

export const MAPPING_FILE = 'external_id_mapping.json';
export const COUNTERS_FILE = 'external_id_counters.json';
export const SYNC_FILE = 'external_id_sync.json';
/**
 * The lock (a directory, held with `withLock`). Not `<file>.lock`: spec 003's
 * tool leaves regular files there, which a directory lock cannot be created over.
 */
export const LOCK_NAME = '.vellum-external-ids.lock';

export const FORMAT_VERSION = '1.0';

// A counter holds the last number handed out for its slot; 0 means none yet.
const counter = z.int().nonnegative();

// `updated` is only informational: Python's isoformat() (`+00:00`) and the spec's `Z` form both read.
const header = { version: z.string().min(1), updated: z.string() };

export const mappingFileSchema = z.looseObject({
  ...header,
  mappings: z.record(z.string(), z.record(z.string(), z.string())),
});

export const countersFileSchema = z.looseObject({
  ...header,
  // A tool missing from an older file counts from zero (the reconciliation with the mappings
  // still reserves every id in use).
  counters: z.looseObject({
    jira: z.record(z.string(), counter).optional(),
    azure_devops: counter.optional(),
    linear: z.record(z.string(), counter).optional(),
    github: counter.optional(),
  }),
});

const syncEntry = z.looseObject({
  external_id: z.string(),
  last_synced: z.string().optional(),
  content_hash: z.string().optional(),
  remote_version: z.union([z.string(), z.number()]).optional(),
});

export const syncFileSchema = z.looseObject({
  ...header,
  sync: z.record(z.string(), z.record(z.string(), syncEntry)),
});

export type MappingFile = z.infer<typeof mappingFileSchema>;
export type CountersFile = z.infer<typeof countersFileSchema>;
export type SyncFile = z.infer<typeof syncFileSchema>;
export type SyncEntryFile = z.infer<typeof syncEntry>;

/** Fields of a document other than the ones we manage, kept as read. */
export type Extra = Record<string, unknown>;

/** The mapping file in memory. Maps, because internal ids are arbitrary strings (`constructor`...). */
export interface MappingState {
  version: string;
  extra: Extra;
  /** internal id -> tool -> external id (tools we do not know are kept too). */
  tasks: Map<string, Map<string, string>>;
}

export interface CountersState {
  version: string;
  extra: Extra;
  jira: Map<string, number>;
  azure_devops: number;
  linear: Map<string, number>;
  github: number;
  /** Counters of tools we do not know, kept as read. */
  extraCounters: Extra;
}

export interface SyncState {
  version: string;
  extra: Extra;
  /** internal id -> tool -> entry. */
  tasks: Map<string, Map<string, SyncEntryFile>>;
}

function without(source: Record<string, unknown>, keys: readonly string[]): Extra {
  const rest: Extra = {};
  for (const [key, value] of Object.entries(source)) {
    if (!keys.includes(key)) rest[key] = value;
  }
  return rest;
}

function nested<V>(record: Record<string, Record<string, V>>): Map<string, Map<string, V>> {
  return new Map(Object.entries(record).map(([id, inner]) => [id, new Map(Object.entries(inner))]));
}

function plain<V>(map: Map<string, Map<string, V>>): Record<string, Record<string, V>> {
  return Object.fromEntries([...map].map(([id, inner]) => [id, Object.fromEntries(inner)]));
}

const HEADER_KEYS = ['version', 'updated'];

export function decodeMappings(file: MappingFile): MappingState {
  return {
    version: file.version,
    extra: without(file, [...HEADER_KEYS, 'mappings']),
    tasks: nested(file.mappings),
  };
}

export function encodeMappings(state: MappingState, updated: string): Record<string, unknown> {
  return { ...state.extra, version: state.version, updated, mappings: plain(state.tasks) };
}

export function emptyMappings(): MappingState {
  return { version: FORMAT_VERSION, extra: {}, tasks: new Map() };
}

export function decodeCounters(file: CountersFile): CountersState {
  const { counters } = file;
  return {
    version: file.version,
    extra: without(file, [...HEADER_KEYS, 'counters']),
    jira: new Map(Object.entries(counters.jira ?? {})),
    azure_devops: counters.azure_devops ?? 0,
    linear: new Map(Object.entries(counters.linear ?? {})),
    github: counters.github ?? 0,
    extraCounters: without(counters, ['jira', 'azure_devops', 'linear', 'github']),
  };
}

export function encodeCounters(state: CountersState, updated: string): Record<string, unknown> {
  return {
    ...state.extra,
    version: state.version,
    updated,
    counters: {
      ...state.extraCounters,
      jira: Object.fromEntries(state.jira),
      azure_devops: state.azure_devops,
      linear: Object.fromEntries(state.linear),
      github: state.github,
    },
  };
}

export function emptyCounters(): CountersState {
  return {
    version: FORMAT_VERSION,
    extra: {},
    jira: new Map(),
    azure_devops: 0,
    linear: new Map(),
    github: 0,
    extraCounters: {},
  };
}

export function decodeSync(file: SyncFile): SyncState {
  return {
    version: file.version,
    extra: without(file, [...HEADER_KEYS, 'sync']),
    tasks: nested(file.sync),
  };
}

export function encodeSync(state: SyncState, updated: string): Record<string, unknown> {
  return { ...state.extra, version: state.version, updated, sync: plain(state.tasks) };
}

export function emptySync(): SyncState {
  return { version: FORMAT_VERSION, extra: {}, tasks: new Map() };
}

/** Versions this package reads and rewrites: 1.x (a newer major is left alone). */
export function isSupportedVersion(version: string): boolean {
  return /^1(\.\d+)*$/.test(version);
}
