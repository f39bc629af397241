import {
  CorruptFileError,
  FileNotFoundError,
  readRecords,
  statOrNull,
  TornTailError,
} from '@vellum/atomic-io';
import {
  NotFoundError,
  ValidationError,
  mergePatch,
  type BatchOp,
  type Collection,
  type Page,
  type TransactionView,
  type ValidationIssue,
} from '@vellum/collection';
import { DEFAULT_POLICIES, MemoryCache, bindToCollection } from '@vellum/cache';
import { AlreadyExistsError } from './errors.js';
import { applyLinks, assertNoCycle, isReady, TaskDrafts } from './relationships.js';
import { TASK_ID, Task, TaskPriority, TaskStatus } from './schemas.js';
import { nextSubtaskId, nextTaskId, normalizeStory, parseTaskId } from './task-ids.js';
import type { z } from 'zod';

type Status = z.infer<typeof TaskStatus>;
type Priority = z.infer<typeof TaskPriority>;

export interface NewTask {
  /** Story number for the id (`TASK-<story>-<n>`); required unless `parent` or `id` is given. */
  story?: string | number | undefined;
  /** Make it a subtask of this task (`TASK-<story>-<n>-<sub>`). */
  parent?: string | undefined;
  /** Use this id instead of allocating one; it must be free. */
  id?: string | undefined;
  content: string;
  status?: Status | undefined;
  priority?: Priority | undefined;
  metadata?: Partial<Task['metadata']> | undefined;
  depends_on?: readonly string[] | undefined;
  related_to?: readonly string[] | undefined;
}

export interface TaskFilter {
  status?: Status | readonly Status[] | undefined;
  /** `metadata.story_id`. */
  story?: string | undefined;
  persona?: string | undefined;
  priority?: Priority | readonly Priority[] | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
  fields?: readonly string[] | undefined;
}

/** A change to a task: a JSON merge patch of its members. */
export type TaskPatch = Partial<Omit<Task, 'id' | 'metadata' | 'relationships'>> & {
  metadata?: Record<string, unknown> | undefined;
  relationships?: Record<string, unknown> | undefined;
};

export interface BatchResult {
  /** Tasks written, including the other ends of changed links. */
  written: number;
  created: string[];
  updated: string[];
}

const asCondition = <V extends string>(value: V | readonly V[]): V | { in: readonly V[] } =>
  typeof value === 'string' ? value : { in: value };

/** Spec 000's tasks: allocation, links kept symmetric, cycles refused, readiness. */
export class Tasks {
  /** Spec 000's query cache: 5-minute TTL, emptied by any change to a task (ours or another process's). */
  readonly queryCache: MemoryCache<Page<Task>>;
  readonly #open: () => Promise<Collection<Task>>;
  #bound: Collection<Task> | undefined;
  readonly #now: () => Date;

  /** @param open the tasks collection, opened on first use (the same one on every call). */
  constructor(open: () => Promise<Collection<Task>>, now: () => Date) {
    this.#open = open;
    this.#now = now;
    this.queryCache = new MemoryCache<Page<Task>>({ name: 'queries', ...DEFAULT_POLICIES.queries });
  }

  /** The tasks collection, opened now if it is not yet. */
  async collection(): Promise<Collection<Task>> {
    const collection = await this.#open();
    if (this.#bound !== collection) {
      bindToCollection(this.queryCache, collection, {
        keysFor: () => [],
        tagsFor: () => ['tasks'],
      });
      this.#bound = collection;
    }
    return collection;
  }

  /**
   * Creates a task with the next free id for its story (or parent), never a
   * duplicate, also across processes.
   * @throws {ValidationError} bad input, an unknown dependency or a cycle; nothing written.
   * @throws {AlreadyExistsError} `id` is taken (`VELLUM_CONFLICT`); nothing written.
   */
  async create(input: NewTask): Promise<Task> {
    const collection = await this.collection();
    return collection.transact((view) => {
      const id = this.#allocate(view, input);
      const at = this.#now().toISOString();
      const task: Task = {
        id,
        content: input.content,
        status: input.status ?? 'pending',
        priority: input.priority ?? 'medium',
        metadata: { created_at: at, updated_at: at, ...stripUndefined(input.metadata ?? {}) },
        ...(input.depends_on === undefined && input.related_to === undefined
          ? {}
          : {
              relationships: {
                ...(input.depends_on === undefined ? {} : { depends_on: [...input.depends_on] }),
                ...(input.related_to === undefined ? {} : { related_to: [...input.related_to] }),
              },
            }),
      };
      return { ops: this.#linked(view, [[task, undefined]]), value: task };
    });
  }

  #allocate(view: TransactionView<Task>, input: NewTask): string {
    if (input.id !== undefined) {
      if (view.get(input.id) !== undefined)
        throw new AlreadyExistsError('task', input.id, view.revision(input.id));
      return input.id;
    }
    if (input.parent !== undefined) {
      const parts = parseTaskId(input.parent);
      if (parts === undefined || view.get(input.parent) === undefined) {
        throw new ValidationError('task', [
          { path: ['parent'], message: `unknown task ${input.parent}` },
        ]);
      }
      return nextSubtaskId(input.parent, view.ids({ storyNumber: parts.story }));
    }
    if (input.story === undefined) {
      throw new ValidationError('task', [
        { path: ['story'], message: 'required (or give parent or id)' },
      ]);
    }
    const story = normalizeStory(input.story);
    return nextTaskId(story, view.ids({ storyNumber: story }));
  }

  /** Puts for `changes` and for every task whose links they change, refusing cycles. */
  #linked(
    view: TransactionView<Task>,
    changes: readonly (readonly [Task, Task | undefined])[],
  ): BatchOp[] {
    const drafts = new TaskDrafts((id) => view.get(id));
    // Every task of the change is known from the start: a link may name one that comes later.
    for (const [next] of changes) drafts.set(next);
    for (const [next, previous] of changes) applyLinks(drafts, next, previous);
    assertNoCycle(drafts);
    return [...drafts.changed.values()].map((doc) => ({ type: 'put' as const, doc }));
  }

  /** The task, or `undefined`. */
  async get(id: string): Promise<Task | undefined> {
    return (await this.collection()).get(id);
  }

  /** @throws {NotFoundError} | {ValidationError} an id that is no task id (`../x`). */
  async require(id: string): Promise<Task> {
    assertTaskId(id);
    const task = await (await this.collection()).get(id);
    if (task === undefined) throw new NotFoundError('tasks', id);
    return task;
  }

  /**
   * Tasks matching the filter, by id, a page at a time (cached for 5 minutes, until a task changes).
   * @throws {ValidationError} a field that is not a task member.
   */
  async list(filter: TaskFilter = {}): Promise<Page<Task>> {
    if (filter.fields !== undefined) assertTaskFields(filter.fields);
    assertAllowed('status', filter.status, TaskStatus.options);
    assertAllowed('priority', filter.priority, TaskPriority.options);
    const where: Record<string, string | { in: readonly string[] }> = {};
    if (filter.status !== undefined) where.status = asCondition(filter.status);
    if (filter.priority !== undefined) where.priority = asCondition(filter.priority);
    if (filter.story !== undefined) where.story = filter.story;
    if (filter.persona !== undefined) where.persona = filter.persona;
    const collection = await this.collection();
    // Catching up first lets another process's writes empty the cache before it answers.
    await collection.count();
    const key = JSON.stringify([where, filter.limit, filter.cursor, filter.fields]);
    return this.queryCache.getOrLoad(
      key,
      () =>
        collection.query({
          where,
          limit: filter.limit,
          cursor: filter.cursor,
          fields: filter.fields,
        }),
      { tags: ['tasks'] },
    );
  }

  /** Full-text search over task content. */
  async search(
    text: string,
    options: { limit?: number; cursor?: string } = {},
  ): ReturnType<Collection<Task>['search']> {
    return (await this.collection()).search(text, options);
  }

  /**
   * Applies a JSON merge patch; links in `relationships` stay symmetric.
   * @throws {NotFoundError} | {ValidationError}
   */
  async update(
    id: string,
    patch: TaskPatch,
    options: { expectedRevision?: number } = {},
  ): Promise<Task> {
    assertTaskId(id);
    assertPatchObject(patch, `task ${id}`);
    if ('id' in patch && patch.id !== id) {
      throw new ValidationError(`task ${id}`, [{ path: ['id'], message: 'the id cannot change' }]);
    }
    const collection = await this.collection();
    return collection.transact((view) => {
      const current = view.get(id);
      if (current === undefined) throw new NotFoundError('tasks', id);
      const next = patchTask(current, patch, this.#now(), `task ${id}`);
      // The commit checks the revision under the lock: a stale one is a ConflictError, nothing written.
      const ops = this.#linked(view, [[next, current]]).map((op) =>
        op.type === 'put' && (op.doc as Task).id === id
          ? { ...op, expectedRevision: options.expectedRevision }
          : op,
      );
      return { ops, value: next };
    });
  }

  /** Marks it completed: the file moves to `completed/YYYY-MM/`. */
  complete(id: string): Promise<Task> {
    return this.update(id, { status: 'completed' });
  }

  /** Back to pending: the file moves back to `active/`. */
  reopen(id: string): Promise<Task> {
    return this.update(id, { status: 'pending' });
  }

  /** Replaces the task's `depends_on`; the other tasks' `blocks` follow. */
  setDependencies(id: string, dependsOn: readonly string[]): Promise<Task> {
    return this.update(id, { relationships: { depends_on: [...dependsOn] } });
  }

  async addDependency(id: string, dependsOn: string): Promise<Task> {
    const task = await this.require(id);
    return this.setDependencies(id, [
      ...new Set([...(task.relationships?.depends_on ?? []), dependsOn]),
    ]);
  }

  async removeDependency(id: string, dependsOn: string): Promise<Task> {
    const task = await this.require(id);
    return this.setDependencies(
      id,
      (task.relationships?.depends_on ?? []).filter((d) => d !== dependsOn),
    );
  }

  /** Deletes a task and removes it from the links of the others. */
  async delete(id: string): Promise<void> {
    assertTaskId(id);
    const collection = await this.collection();
    await collection.transact((view) => {
      const current = view.get(id);
      if (current === undefined) throw new NotFoundError('tasks', id);
      const unlinked: Task = {
        ...current,
        relationships: { ...current.relationships, depends_on: [], blocks: [] },
      };
      const ops = this.#linked(view, [[unlinked, current]]).filter(
        (op) => op.type !== 'put' || (op.doc as Task).id !== id,
      );
      return [...ops, { type: 'delete', id }];
    });
  }

  /** Pending tasks whose dependencies are all completed, by id. */
  async ready(): Promise<Task[]> {
    const collection = await this.collection();
    const pending = await collection.query({
      where: { status: 'pending' },
      limit: Number.MAX_SAFE_INTEGER,
    });
    const byId = new Map<string, Task>();
    const lookup = (id: string): Task | undefined => byId.get(id);
    const deps = new Set(pending.items.flatMap((t) => t.relationships?.depends_on ?? []));
    for (const id of deps) {
      const task = await collection.get(id);
      if (task !== undefined) byId.set(id, task);
    }
    return pending.items.filter((task) => isReady(task, lookup));
  }

  /**
   * `batch_update_tasks`: a JSONL file (or list) of updates applied as one
   * transaction, all or nothing. A line with every required member is a whole
   * task (created or replaced); a line with an `id` and some members patches it.
   * @throws {ValidationError} naming the line and field; nothing written.
   */
  async batchUpdate(updates: string | readonly unknown[]): Promise<BatchResult> {
    const lines =
      typeof updates === 'string'
        ? await readUpdateFile(updates)
        : updates.map((value, i) => ({ value, line: i + 1 }));
    const created: string[] = [];
    const updated: string[] = [];
    const collection = await this.collection();
    const results = await collection.transact((view) => {
      const changes: [Task, Task | undefined][] = [];
      const seen = new Map<string, Task>();
      for (const { value, line } of lines) {
        const id = (value as { id?: unknown } | null)?.id;
        if (typeof id !== 'string') {
          throw new ValidationError(`batch line ${line}`, [
            { path: ['id'], message: 'each update needs a string id' },
          ]);
        }
        const current = seen.get(id) ?? view.get(id);
        const whole = Task.safeParse(value);
        let next: Task;
        if (whole.success) next = whole.data;
        // A patch is a change like `update`: it moves updated_at too.
        else if (current !== undefined)
          next = patchTask(current, value, this.#now(), `batch line ${line}`);
        else throw new ValidationError(`batch line ${line}`, issuesOf(whole.error));
        const checked = Task.safeParse(next);
        if (!checked.success)
          throw new ValidationError(`batch line ${line}`, issuesOf(checked.error));
        (current === undefined ? created : updated).push(id);
        changes.push([checked.data, current]);
        seen.set(id, checked.data);
      }
      return this.#linked(view, linkOrder(changes));
    });
    return { written: results.length, created, updated };
  }
}

/** Zod's issues in the shape `ValidationError` carries. */
function issuesOf(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
    message: issue.message,
  }));
}

/** @throws {ValidationError} `patch` is not a JSON object (`null`, a string, an array...). */
function assertPatchObject(patch: unknown, subject: string): asserts patch is object {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new ValidationError(subject, [
      { path: [], message: `the patch must be a JSON object, got ${JSON.stringify(patch)}` },
    ]);
  }
}

/**
 * The task a merge patch makes of `current`, checked against the schema
 * before `updated_at` is stamped: stamping spreads `metadata`, which would
 * turn a patched `"s"` into `{"0": "s"}` and a removed one into a new one,
 * and the task would leave its indexes with no error.
 * @throws {ValidationError} naming the member the patch breaks.
 */
function patchTask(current: Task, patch: unknown, now: Date, subject: string): Task {
  assertPatchObject(patch, subject);
  const merged = mergePatch(current, patch) as Task;
  const checked = Task.safeParse(merged);
  if (!checked.success) throw new ValidationError(subject, issuesOf(checked.error));
  return { ...merged, metadata: { ...merged.metadata, updated_at: now.toISOString() } };
}

/**
 * An enum filter must name values of the schema's enum: one that does not
 * would select nothing, and look like an empty store.
 * @throws {ValidationError} naming the values and the allowed ones.
 */
function assertAllowed(
  member: string,
  value: string | readonly string[] | undefined,
  allowed: readonly string[],
): void {
  if (value === undefined) return;
  const unknown = (typeof value === 'string' ? [value] : value).filter((v) => !allowed.includes(v));
  if (unknown.length > 0) {
    throw new ValidationError('task filter', [
      {
        path: [member],
        message: `${unknown.map((v) => JSON.stringify(v)).join(', ')} is not a ${member} (${allowed.join(', ')})`,
      },
    ]);
  }
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

async function readUpdateFile(path: string): Promise<{ value: unknown; line: number }[]> {
  // readRecords reads a missing file as no records: a batch named by a typo must not look empty.
  if ((await statOrNull(path)) === null) throw new FileNotFoundError(path, 'batch file');
  const out: { value: unknown; line: number }[] = [];
  try {
    for await (const record of readRecords(path))
      out.push({ value: record.value, line: record.line });
  } catch (error) {
    if (error instanceof CorruptFileError || error instanceof TornTailError) {
      const line = error instanceof TornTailError ? error.tail.line : error.line;
      const why =
        error instanceof TornTailError ? 'the file ends in the middle of a record' : error.message;
      throw new ValidationError(
        `batch file ${path}`,
        [{ path: [`line ${line ?? '?'}`], message: why }],
        { cause: error },
      );
    }
    throw error;
  }
  if (out.length === 0)
    throw new ValidationError(`batch file ${path}`, [
      { path: [], message: 'no updates in the file' },
    ]);
  return out;
}

/**
 * The batch's tasks reordered so that each comes after the tasks of the same
 * batch it links to: a line may name a task created further down. A cycle
 * keeps the file's order (the cycle check then refuses it).
 */
function linkOrder(
  changes: readonly (readonly [Task, Task | undefined])[],
): [Task, Task | undefined][] {
  const byId = new Map(changes.map((change) => [change[0].id, change] as const));
  const ordered: [Task, Task | undefined][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string): void => {
    const change = byId.get(id);
    if (change === undefined || state.get(id) === 'done' || state.get(id) === 'visiting') return;
    state.set(id, 'visiting');
    const links = [
      ...(change[0].relationships?.depends_on ?? []),
      ...(change[0].relationships?.blocks ?? []),
    ];
    for (const link of links) visit(link);
    state.set(id, 'done');
    ordered.push([change[0], change[1]]);
  };
  for (const [task] of changes) visit(task.id);
  return ordered;
}

/** A task's top-level members, the first part of a `fields` path. */
const TASK_MEMBERS: readonly string[] = Object.keys(Task.shape);

/**
 * Checks `fields` (paths such as `id` or `metadata.story_id`) against the task
 * schema: an unknown member would silently select nothing. Only the first
 * part is checked, since unknown members below it are allowed.
 * @throws {ValidationError} naming every unknown field.
 */
export function assertTaskFields(fields: readonly string[]): void {
  const unknown = fields.filter((field) => !TASK_MEMBERS.includes(field.split('.')[0] ?? ''));
  if (unknown.length > 0) {
    throw new ValidationError(
      'task projection',
      unknown.map((field) => ({
        path: ['fields'],
        message: `${JSON.stringify(field)} is not a task member (${TASK_MEMBERS.join(', ')})`,
      })),
    );
  }
}

/** @throws {ValidationError} naming `id`: bad input, not a missing task. */
function assertTaskId(id: string): void {
  if (!TASK_ID.test(id)) {
    throw new ValidationError('task', [
      { path: ['id'], message: `${JSON.stringify(id)} is not a task id (TASK-001-002)` },
    ]);
  }
}
