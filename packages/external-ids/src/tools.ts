/**
 * The four trackers of spec 003 and the shapes of their ids. Jira and Linear
 * ids are `KEY-N` with one counter per project (team) key; Azure DevOps and
 * GitHub ids are bare integers with one counter per tool.
 */
export const TOOLS = ['jira', 'azure_devops', 'linear', 'github'] as const;

export type ExternalTool = (typeof TOOLS)[number];

/** Tools whose ids carry a key (`PROJ-457`, `TEAM-789`) and count per key. */
export type KeyedTool = 'jira' | 'linear';

/** Tools whose ids are integers (`1234`) and count per tool. */
export type NumberedTool = 'azure_devops' | 'github';

/** The key used when `mapToExternal` gets none: the original tool's default. */
export const DEFAULT_PROJECT_KEY = 'PROJ';

// Jira's default rule: a letter, then uppercase letters, digits or underscores, 2-255 characters.
// Linear team keys: uppercase letters and digits. Both are kept to one canonical case, so that
// `proj` and `PROJ` can never become two counters for one project.
const KEY_PATTERN: Readonly<Record<KeyedTool, RegExp>> = {
  jira: /^[A-Z][A-Z0-9_]{1,254}$/,
  linear: /^[A-Z][A-Z0-9]{0,49}$/,
};

const KEY_RULE: Readonly<Record<KeyedTool, string>> = {
  jira: 'an uppercase letter followed by 1-254 uppercase letters, digits or underscores (e.g. PROJ)',
  linear: 'an uppercase letter followed by up to 49 uppercase letters or digits (e.g. TEAM)',
};

export function isTool(value: unknown): value is ExternalTool {
  return typeof value === 'string' && (TOOLS as readonly string[]).includes(value);
}

export function isKeyedTool(tool: ExternalTool): tool is KeyedTool {
  return tool === 'jira' || tool === 'linear';
}

/** Why `key` is not a valid project (team) key for `tool`, or `undefined` when it is. */
export function keyProblem(tool: KeyedTool, key: string): string | undefined {
  return KEY_PATTERN[tool].test(key) ? undefined : `must be ${KEY_RULE[tool]}`;
}

export interface ParsedExternalId {
  /** The project (team) key, for Jira and Linear. */
  key: string | undefined;
  number: number;
}

const CANONICAL_KEYED = /^([A-Z][A-Z0-9_]*)-([1-9][0-9]*)$/;
const CANONICAL_NUMBER = /^[1-9][0-9]*$/;

/**
 * Parses an id as a tracker hands it out: `PROJ-457` for Jira, `TEAM-789` for
 * Linear, `1234` for Azure DevOps and GitHub (no sign, no leading zeros).
 * @returns the parts, or a reason the id is malformed.
 */
export function parseExternalId(tool: ExternalTool, id: string): ParsedExternalId | string {
  if (isKeyedTool(tool)) {
    const match = CANONICAL_KEYED.exec(id);
    const key = match?.[1];
    if (match === null || key === undefined || keyProblem(tool, key) !== undefined) {
      return `must be KEY-N for ${tool}, where KEY is ${KEY_RULE[tool]} and N a positive integer`;
    }
    return safeNumber(Number(match[2]), key);
  }
  if (!CANONICAL_NUMBER.test(id)) return `must be a positive integer without leading zeros`;
  return safeNumber(Number(id), undefined);
}

function safeNumber(number: number, key: string | undefined): ParsedExternalId | string {
  return Number.isSafeInteger(number)
    ? { key, number }
    : `has a number above ${Number.MAX_SAFE_INTEGER}`;
}

// Lenient forms for ids already in a file: another writer may have stored `PROJ-0457`.
// Reserving their numbers too can only leave a gap, never a duplicate.
const STORED_KEYED = /^([A-Z][A-Z0-9_]*)-([0-9]+)$/;
const STORED_NUMBER = /^[0-9]+$/;

/**
 * The counter slot and number an id found in the mapping file occupies, or
 * `undefined` when it cannot collide with an id we would hand out.
 */
export function occupiedSlot(tool: ExternalTool, id: string): ParsedExternalId | undefined {
  if (isKeyedTool(tool)) {
    const match = STORED_KEYED.exec(id);
    const key = match?.[1];
    if (match === null || key === undefined || keyProblem(tool, key) !== undefined)
      return undefined;
    const number = Number(match[2]);
    return Number.isSafeInteger(number) ? { key, number } : undefined;
  }
  if (!STORED_NUMBER.test(id)) return undefined;
  const number = Number(id);
  return Number.isSafeInteger(number) ? { key: undefined, number } : undefined;
}

/** `PROJ-457` or `1234`. */
export function formatExternalId(key: string | undefined, number: number): string {
  return key === undefined ? String(number) : `${key}-${number}`;
}
