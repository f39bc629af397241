import { unsafeReason } from '@vellum/atomic-io';
import { ValidationError, type ValidationIssue } from './errors.js';
import {
  TOOLS,
  isKeyedTool,
  isTool,
  keyProblem,
  parseExternalId,
  type ExternalTool,
  type ParsedExternalId,
} from './tools.js';

/**
 * Argument checks for the public methods. Each collects every problem (one
 * issue per argument) and throws one `ValidationError` before any file is
 * touched, so the mapper's internals only ever see clean values. Values are
 * never coerced: `234` is not the GitHub id `"234"`.
 */

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}

class Issues {
  readonly list: ValidationIssue[] = [];

  add(path: string, message: string | undefined): void {
    if (message !== undefined) this.list.push({ path: [path], message });
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError('external-ids arguments', this.list);
  }
}

function internalIdProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${describe(value)}`;
  // The one key JSON.parse and object spreads treat specially; no task is called that.
  if (value === '__proto__') return 'must not be "__proto__"';
  const reason = unsafeReason(value);
  return reason === undefined ? undefined : `is not a valid task id: it ${reason}`;
}

function toolProblem(value: unknown): string | undefined {
  return isTool(value) ? undefined : `must be one of ${TOOLS.join(', ')}, got ${describe(value)}`;
}

function stringProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${describe(value)}`;
  return value.length === 0 ? 'must not be empty' : undefined;
}

/** `tool` may be omitted (all tools). @throws {ValidationError} */
export function checkUnmapArgs(internalId: unknown, tool: unknown): asserts internalId is string {
  const issues = new Issues();
  issues.add('internalId', internalIdProblem(internalId));
  if (tool !== undefined) issues.add('tool', toolProblem(tool));
  issues.throwIfAny();
}

/** @throws {ValidationError} */
export function checkTask(
  internalId: unknown,
  tool: unknown,
): { internalId: string; tool: ExternalTool } {
  const issues = new Issues();
  issues.add('internalId', internalIdProblem(internalId));
  issues.add('tool', toolProblem(tool));
  issues.throwIfAny();
  return { internalId: internalId as string, tool: tool as ExternalTool };
}

/**
 * `projectKey` names the counter for Jira (project key) and Linear (team key);
 * Azure DevOps and GitHub have one counter each, so a key there is a mistake.
 * @throws {ValidationError}
 */
export function checkMapArgs(
  internalId: unknown,
  tool: unknown,
  projectKey: unknown,
  defaultKey: string,
): { internalId: string; tool: ExternalTool; key: string | undefined } {
  const issues = new Issues();
  issues.add('internalId', internalIdProblem(internalId));
  issues.add('tool', toolProblem(tool));
  let key: string | undefined;
  if (isTool(tool) && isKeyedTool(tool)) {
    key = projectKey === undefined ? defaultKey : (projectKey as string);
    issues.add(
      'projectKey',
      typeof key === 'string' ? keyProblem(tool, key) : `must be a string, got ${describe(key)}`,
    );
  } else if (isTool(tool) && projectKey !== undefined) {
    issues.add('projectKey', `is only used by jira and linear; ${tool} has a single counter`);
  }
  issues.throwIfAny();
  return { internalId: internalId as string, tool: tool as ExternalTool, key };
}

/** @throws {ValidationError} */
export function checkRecordArgs(
  internalId: unknown,
  tool: unknown,
  externalId: unknown,
  options: unknown,
): {
  internalId: string;
  tool: ExternalTool;
  externalId: string;
  parsed: ParsedExternalId;
  replace: boolean;
} {
  const issues = new Issues();
  issues.add('internalId', internalIdProblem(internalId));
  issues.add('tool', toolProblem(tool));
  let parsed: ParsedExternalId | undefined;
  if (typeof externalId !== 'string') {
    issues.add('externalId', `must be a string, got ${describe(externalId)}`);
  } else if (isTool(tool)) {
    const result = parseExternalId(tool, externalId);
    if (typeof result === 'string')
      issues.add('externalId', `${JSON.stringify(externalId)} ${result}`);
    else parsed = result;
  }
  const replace = readReplace(options, issues);
  issues.throwIfAny();
  return {
    internalId: internalId as string,
    tool: tool as ExternalTool,
    externalId: externalId as string,
    parsed: parsed as ParsedExternalId,
    replace,
  };
}

function readReplace(options: unknown, issues: Issues): boolean {
  if (options === undefined) return false;
  if (typeof options !== 'object' || options === null) {
    issues.add('options', `must be an object, got ${describe(options)}`);
    return false;
  }
  const replace = (options as { replace?: unknown }).replace;
  if (replace === undefined || typeof replace === 'boolean') return replace === true;
  issues.add('options.replace', `must be a boolean, got ${describe(replace)}`);
  return false;
}

/** @throws {ValidationError} */
export function checkReverseArgs(
  tool: unknown,
  externalId: unknown,
): { tool: ExternalTool; externalId: string } {
  const issues = new Issues();
  issues.add('tool', toolProblem(tool));
  issues.add('externalId', stringProblem(externalId));
  issues.throwIfAny();
  return { tool: tool as ExternalTool, externalId: externalId as string };
}

export interface SyncPatch {
  lastSyncedAt?: string;
  contentHash?: string;
  remoteVersion?: string | number;
}

const SYNC_FIELDS = ['lastSyncedAt', 'contentHash', 'remoteVersion'];

/**
 * Checks a sync-metadata update; `lastSyncedAt` (a `Date` or an ISO 8601
 * string) is normalized to UTC `toISOString()` form.
 * @throws {ValidationError}
 */
export function checkSyncPatch(patch: unknown): SyncPatch {
  const issues = new Issues();
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    issues.add('metadata', `must be an object, got ${describe(patch)}`);
    issues.throwIfAny();
  }
  const input = patch as Record<string, unknown>;
  const clean: SyncPatch = {};
  for (const key of Object.keys(input)) {
    if (!SYNC_FIELDS.includes(key))
      issues.add(`metadata.${key}`, `is not a sync field (${SYNC_FIELDS.join(', ')})`);
  }
  const { lastSyncedAt, contentHash, remoteVersion } = input;
  if (lastSyncedAt !== undefined) {
    const time =
      lastSyncedAt instanceof Date
        ? lastSyncedAt
        : typeof lastSyncedAt === 'string'
          ? isoDate(lastSyncedAt)
          : undefined;
    if (time === undefined || Number.isNaN(time.getTime())) {
      issues.add(
        'metadata.lastSyncedAt',
        `must be a valid Date or ISO 8601 string, got ${describe(lastSyncedAt)}`,
      );
    } else {
      clean.lastSyncedAt = time.toISOString();
    }
  }
  if (contentHash !== undefined) {
    const problem = stringProblem(contentHash);
    issues.add('metadata.contentHash', problem);
    if (problem === undefined) clean.contentHash = contentHash as string;
  }
  if (remoteVersion !== undefined) {
    if (
      (typeof remoteVersion === 'number' && Number.isFinite(remoteVersion)) ||
      (typeof remoteVersion === 'string' && remoteVersion !== '')
    ) {
      clean.remoteVersion = remoteVersion;
    } else {
      issues.add(
        'metadata.remoteVersion',
        `must be a non-empty string or a finite number, got ${describe(remoteVersion)}`,
      );
    }
  }
  issues.throwIfAny();
  return clean;
}

// Date.parse also takes "March 7" or "1"; only ISO 8601 date-times are unambiguous.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function isoDate(text: string): Date | undefined {
  return ISO_DATE_TIME.test(text) ? new Date(text) : undefined;
}

export const RESET_TARGETS = ['mappings', 'counters', 'sync', 'all'] as const;
export type ResetTarget = (typeof RESET_TARGETS)[number];

/** @throws {ValidationError} */
export function checkResetTarget(target: unknown): asserts target is ResetTarget {
  const issues = new Issues();
  if (!(RESET_TARGETS as readonly unknown[]).includes(target)) {
    issues.add('target', `must be one of ${RESET_TARGETS.join(', ')}, got ${describe(target)}`);
  }
  issues.throwIfAny();
}
