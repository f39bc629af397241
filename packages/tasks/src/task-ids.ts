import { ValidationError } from '@vellum/collection';
import { TASK_ID } from './schemas.js';

export interface TaskIdParts {
  story: string;
  n: number;
  sub: number | undefined;
}

/** The parts of `TASK-001-002` / `TASK-001-002-3`. */
export function parseTaskId(id: string): TaskIdParts | undefined {
  if (!TASK_ID.test(id)) return undefined;
  const [, story = '', n = '0', sub] = id.split('-');
  return { story, n: Number(n), sub: sub === undefined ? undefined : Number(sub) };
}

const pad = (value: number | string): string => String(value).padStart(3, '0');

/**
 * A story number as ids spell it: digits, at least three (`1` -> `001`).
 * @throws {ValidationError} naming `story`.
 */
export function normalizeStory(story: string | number): string {
  const text = String(story);
  if (!/^[0-9]+$/.test(text)) {
    throw new ValidationError('task', [
      {
        path: ['story'],
        message: `must be a story number such as 001, got ${JSON.stringify(story)}`,
      },
    ]);
  }
  return pad(text);
}

export function formatTaskId(story: string, n: number, sub?: number): string {
  return sub === undefined ? `TASK-${story}-${pad(n)}` : `TASK-${story}-${pad(n)}-${sub}`;
}

/** The next free `TASK-<story>-<n>` given the ids already used for that story. */
export function nextTaskId(story: string, used: readonly string[]): string {
  let max = 0;
  for (const id of used) {
    const parts = parseTaskId(id);
    if (parts !== undefined && parts.story === story) max = Math.max(max, parts.n);
  }
  return formatTaskId(story, max + 1);
}

/** The next free subtask id of `parent`. */
export function nextSubtaskId(parent: string, used: readonly string[]): string {
  const parentParts = parseTaskId(parent);
  if (parentParts === undefined || parentParts.sub !== undefined) {
    throw new ValidationError('task', [
      { path: ['parent'], message: `${parent} cannot have subtasks (subtasks are one level deep)` },
    ]);
  }
  let max = 0;
  for (const id of used) {
    const parts = parseTaskId(id);
    if (parts?.sub !== undefined && parts.story === parentParts.story && parts.n === parentParts.n)
      max = Math.max(max, parts.sub);
  }
  return formatTaskId(parentParts.story, parentParts.n, max + 1);
}
