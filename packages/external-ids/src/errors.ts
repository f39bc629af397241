import {
  ATOMIC_IO_ERROR_CODES,
  VellumError,
  type AtomicIoErrorCode,
  type VellumErrorOptions,
} from '@vellum/atomic-io';
import { EXTERNAL_IDS_ERROR_CODES, type ExternalIdsErrorCode } from './codes.js';
import type { ExternalTool } from './tools.js';

/**
 * The package's errors. Each extends `VellumError` from `@vellum/atomic-io`, so
 * callers match on the stable `code`, and errors from the layer below
 * (`VELLUM_LOCK_TIMEOUT`, `VELLUM_WRITE_FAILED`, ...) pass through unchanged.
 */

// One `ValidationError` for every package: re-exported because this package's API has always named it.
export { ValidationError, type ValidationIssue } from '@vellum/atomic-io';

const CODES = { ...ATOMIC_IO_ERROR_CODES, ...EXTERNAL_IDS_ERROR_CODES };

/**
 * The errors of `@vellum/external-ids`: the category comes from
 * `EXTERNAL_IDS_ERROR_CODES`, or for a shared code from `ATOMIC_IO_ERROR_CODES`.
 */
export class ExternalIdsError extends VellumError {
  constructor(
    code: ExternalIdsErrorCode | AtomicIoErrorCode,
    message: string,
    options: VellumErrorOptions = {},
  ) {
    super(code, CODES[code], message, options);
  }
}

/**
 * A state file and its `.bak` are both unreadable (or the file is corrupt and
 * has no backup). Nothing is written until a person chooses a way out, listed
 * in `recovery` (`VELLUM_STATE_UNREADABLE`). Spec 003 returns empty state here,
 * which the next save would turn into the loss of every mapping.
 */
export class StateUnreadableError extends ExternalIdsError {
  /** The unreadable file's backup (which may not exist). */
  readonly backupPath: string;
  /** What a person can do, in order of preference. */
  readonly recovery: readonly string[];

  constructor(path: string, backupPath: string, recovery: readonly string[], cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      'VELLUM_STATE_UNREADABLE',
      `${path}: cannot be read and no usable backup exists (${why}). ` +
        `Nothing was written. To recover: ${recovery.map((step, i) => `(${i + 1}) ${step}`).join(' ')}`,
      { path, cause },
    );
    this.backupPath = backupPath;
    this.recovery = recovery;
  }
}

/**
 * The mapping asked for contradicts one that exists: the external id belongs
 * to another task, or the task already has another id for that tool
 * (`VELLUM_MAPPING_CONFLICT`). Nothing is written.
 */
export class MappingConflictError extends ExternalIdsError {
  readonly tool: ExternalTool;
  readonly internalId: string;
  readonly externalId: string;
  /** The task that already holds `externalId`, when that is the conflict. */
  readonly ownerInternalId: string | undefined;
  /** The id the task already has for `tool`, when that is the conflict. */
  readonly currentExternalId: string | undefined;

  constructor(
    path: string,
    details: {
      tool: ExternalTool;
      internalId: string;
      externalId: string;
      ownerInternalId?: string | undefined;
      currentExternalId?: string | undefined;
    },
  ) {
    const why =
      details.ownerInternalId === undefined
        ? `${details.internalId} is already mapped to ${details.tool} ${String(details.currentExternalId)} (pass { replace: true } to replace it)`
        : `${details.tool} ${details.externalId} is already mapped to ${details.ownerInternalId}`;
    super(
      'VELLUM_MAPPING_CONFLICT',
      `${details.internalId}: cannot map to ${details.tool} ${details.externalId}: ${why}`,
      { path },
    );
    this.tool = details.tool;
    this.internalId = details.internalId;
    this.externalId = details.externalId;
    this.ownerInternalId = details.ownerInternalId;
    this.currentExternalId = details.currentExternalId;
  }
}

/**
 * `mapToExternal` for a task the `taskExists` option does not know
 * (`VELLUM_NOT_FOUND`): an id handed out for it would belong to nothing.
 * Nothing is read or written.
 */
export class UnknownTaskError extends ExternalIdsError {
  readonly internalId: string;

  constructor(internalId: string) {
    super('VELLUM_NOT_FOUND', `no task ${internalId}: nothing was mapped`);
    this.internalId = internalId;
  }
}

/** Sync metadata was given for a task that has no id for that tool (`VELLUM_NOT_MAPPED`). */
export class NotMappedError extends ExternalIdsError {
  readonly internalId: string;
  readonly tool: ExternalTool;

  constructor(path: string, internalId: string, tool: ExternalTool) {
    super('VELLUM_NOT_MAPPED', `${internalId}: no ${tool} id`, { path });
    this.internalId = internalId;
    this.tool = tool;
  }
}

/**
 * A state file declares a format version this package does not know (a major
 * version other than 1): it was written by a newer tool, so it is neither
 * repaired nor overwritten (`VELLUM_UNSUPPORTED_VERSION`).
 */
export class UnsupportedVersionError extends ExternalIdsError {
  readonly version: string;

  constructor(path: string, version: string) {
    super(
      'VELLUM_UNSUPPORTED_VERSION',
      `${path}: format version ${JSON.stringify(version)}; this package reads 1.x`,
      { path },
    );
    this.version = version;
  }
}

/** A counter reached `Number.MAX_SAFE_INTEGER` (`VELLUM_COUNTER_EXHAUSTED`). Nothing is written. */
export class CounterExhaustedError extends ExternalIdsError {
  constructor(path: string, slot: string) {
    super(
      'VELLUM_COUNTER_EXHAUSTED',
      `${path}: the ${slot} counter is at ${Number.MAX_SAFE_INTEGER} and cannot grow`,
      { path },
    );
  }
}
