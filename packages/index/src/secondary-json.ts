import type { ValidationIssue } from '@vellum/atomic-io';
import type { KeyCodec } from './key-codec.js';
import type { IndexKey } from './key-order.js';
import { MAX_ISSUES, type Parsed } from './persistence.js';
import { sortUnique } from './sorted-ids.js';

/**
 * A secondary index as the specs persist it: key -> ids (`by-status.json`,
 * `task-by-story.idx`, `index.json`'s `by_status`), or key -> id for a unique
 * index (`index.json`'s `projects.by_name`).
 */
export type SecondaryIndexJson = Record<string, string[] | string>;

/**
 * Reads the persisted shape back into key -> sorted ids. Lenient where other
 * writers differ harmlessly: ids in any order, duplicates and empty lists (the
 * specs' shell `update_index` leaves `[]` behind) are normalized away, and a
 * bare string counts as a one-id list. Everything else is an issue.
 *
 * With `adopt`, the id arrays of `value` become the index's own (and are
 * sorted in place): right for a freshly parsed file, wrong for a caller's object.
 */
export function parseEntries(
  value: unknown,
  codec: KeyCodec,
  unique: boolean,
  adopt: boolean,
): Parsed<Map<IndexKey, string[]>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { issues: [{ message: 'expected an object mapping keys to ids', path: [] }] };
  }
  const issues: ValidationIssue[] = [];
  const entries = new Map<IndexKey, string[]>();
  const object = value as Record<string, unknown>;
  for (const name of Object.keys(object)) {
    if (issues.length >= MAX_ISSUES) break;
    const key = codec.decode(name);
    if (key === undefined) {
      issues.push({ message: 'not a key of this index type', path: [name] });
      continue;
    }
    const ids = readIds(object[name], name, issues, adopt);
    if (ids === undefined || ids.length === 0) continue;
    sortUnique(ids);
    if (unique && ids.length > 1) {
      issues.push({ message: `unique index lists ${ids.length} ids for one key`, path: [name] });
      continue;
    }
    entries.set(key, ids);
  }
  return issues.length === 0 ? { value: entries } : { issues };
}

function readIds(
  value: unknown,
  name: string,
  issues: ValidationIssue[],
  adopt: boolean,
): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) {
    issues.push({ message: 'expected an array of ids or one id', path: [name] });
    return undefined;
  }
  const ids = value as unknown[];
  for (let i = 0; i < ids.length; i++) {
    if (typeof ids[i] !== 'string') {
      issues.push({ message: 'expected an id (a string)', path: [name, i] });
      return undefined;
    }
  }
  return adopt ? (ids as string[]) : [...(ids as string[])];
}
