import { ValidationError, type ValidationIssue } from '@vellum/collection';
import type { Task } from './schemas.js';

/** Tasks as a transaction sees them: committed ones, with this transaction's drafts on top. */
export class TaskDrafts {
  readonly changed = new Map<string, Task>();
  readonly #lookup: (id: string) => Task | undefined;

  constructor(lookup: (id: string) => Task | undefined) {
    this.#lookup = lookup;
  }

  get(id: string): Task | undefined {
    return this.changed.get(id) ?? this.#lookup(id);
  }

  set(task: Task): void {
    this.changed.set(task.id, task);
  }
}

const list = (values: readonly string[] | undefined): string[] => [...new Set(values ?? [])];

function withLinks(task: Task, field: 'depends_on' | 'blocks', ids: string[]): Task {
  return { ...task, relationships: { ...task.relationships, [field]: ids } };
}

/**
 * Records `next` (the new version of a task, or its first) in `drafts` and
 * updates the tasks on the other end of its links so that `depends_on` and
 * `blocks` stay symmetric: A depends on B exactly when B blocks A.
 * @throws {ValidationError} a link names an unknown task or the task itself.
 */
export function applyLinks(drafts: TaskDrafts, next: Task, previous: Task | undefined): void {
  const deps = list(next.relationships?.depends_on);
  const blocks = list(next.relationships?.blocks);
  const issues: ValidationIssue[] = [];
  for (const [field, ids] of [
    ['depends_on', deps],
    ['blocks', blocks],
  ] as const) {
    ids.forEach((id, i) => {
      if (id === next.id)
        issues.push({
          path: ['relationships', field, i],
          message: `${next.id} cannot link to itself`,
        });
      else if (drafts.get(id) === undefined)
        issues.push({ path: ['relationships', field, i], message: `unknown task ${id}` });
    });
  }
  if (issues.length > 0) throw new ValidationError(`task ${next.id}`, issues);
  drafts.set(next);
  const before = {
    depends_on: list(previous?.relationships?.depends_on),
    blocks: list(previous?.relationships?.blocks),
  };
  const reverse = { depends_on: 'blocks', blocks: 'depends_on' } as const;
  for (const field of ['depends_on', 'blocks'] as const) {
    const now = field === 'depends_on' ? deps : blocks;
    const other = reverse[field];
    for (const id of now.filter((x) => !before[field].includes(x))) {
      const task = drafts.get(id);
      if (task !== undefined)
        drafts.set(withLinks(task, other, list([...(task.relationships?.[other] ?? []), next.id])));
    }
    for (const id of before[field].filter((x) => !now.includes(x))) {
      const task = drafts.get(id);
      if (task !== undefined)
        drafts.set(
          withLinks(
            task,
            other,
            list(task.relationships?.[other]).filter((x) => x !== next.id),
          ),
        );
    }
  }
}

/**
 * A `depends_on` cycle through any of `ids`, as the list of tasks on it.
 * Depth-first, following the drafts.
 */
export function findCycle(drafts: TaskDrafts, ids: Iterable<string>): string[] | undefined {
  const done = new Set<string>();
  const visit = (id: string, path: string[]): string[] | undefined => {
    const at = path.indexOf(id);
    if (at !== -1) return [...path.slice(at), id];
    if (done.has(id)) return undefined;
    for (const dep of drafts.get(id)?.relationships?.depends_on ?? []) {
      const cycle = visit(dep, [...path, id]);
      if (cycle !== undefined) return cycle;
    }
    done.add(id);
    return undefined;
  };
  for (const id of ids) {
    const cycle = visit(id, []);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

/** @throws {ValidationError} when the drafts close a `depends_on` cycle. */
export function assertNoCycle(drafts: TaskDrafts): void {
  const cycle = findCycle(drafts, drafts.changed.keys());
  if (cycle !== undefined) {
    throw new ValidationError(`task ${cycle[0] ?? ''}`, [
      { path: ['relationships', 'depends_on'], message: `dependency cycle: ${cycle.join(' -> ')}` },
    ]);
  }
}

/** Pending tasks whose dependencies are all completed. */
export function isReady(task: Task, lookup: (id: string) => Task | undefined): boolean {
  if (task.status !== 'pending') return false;
  return (task.relationships?.depends_on ?? []).every((id) => lookup(id)?.status === 'completed');
}
