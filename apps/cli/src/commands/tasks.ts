import pc from 'picocolors';
import type { Task, TaskFilter } from '@vellum/tasks';
import type { Context } from '../context.js';
import { CliError, emit } from '../output.js';
import { progress } from '../progress.js';
import { withTaskStore } from './open.js';

const STATUS_COLOR: Record<string, (text: string) => string> = {
  pending: pc.yellow,
  in_progress: pc.cyan,
  completed: pc.green,
  blocked: pc.red,
};

function line(task: Partial<Task>): string {
  const status =
    task.status === undefined ? '' : (STATUS_COLOR[task.status] ?? String)(task.status.padEnd(11));
  const deps = task.relationships?.depends_on?.length
    ? pc.dim(` <- ${task.relationships.depends_on.join(', ')}`)
    : '';
  return (
    [task.id ?? '', status, task.priority?.padEnd(6) ?? '', task.content ?? '']
      .filter((p) => p !== '')
      .join('  ') + deps
  );
}

function show(task: Task): string {
  return JSON.stringify(task, null, 2);
}

function parseJson(text: string, option: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError('VELLUM_USAGE', `${option} is not valid JSON: ${(error as Error).message}`);
  }
}

/** @throws {CliError} `VELLUM_USAGE` (exit 2): not JSON, or not an object (a merge patch of `null` or `"str"` would replace the whole task). */
function parsePatch(text: string): Record<string, unknown> {
  const patch = parseJson(text, '--patch');
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    throw new CliError(
      'VELLUM_USAGE',
      `--patch must be a JSON object of the members to change, got ${text}`,
    );
  return patch as Record<string, unknown>;
}

export async function add(
  context: Context,
  [content]: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const task = await withTaskStore(
    context,
    (store) =>
      store.tasks.create({
        content: content ?? '',
        story: options.story as string | undefined,
        parent: options.parent as string | undefined,
        id: options.id as string | undefined,
        priority: options.priority as Task['priority'] | undefined,
        status: options.status as Task['status'] | undefined,
        metadata: {
          ...(options.storyId === undefined ? {} : { story_id: options.storyId as string }),
          ...(options.persona === undefined ? {} : { persona: options.persona as string }),
        },
        depends_on: options.dependsOn as string[] | undefined,
      }),
    'create',
  );
  emit(context, task, () => `${pc.green('created')} ${line(task)}`);
}

export async function get(
  context: Context,
  [id]: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const fields = options.fields as string[] | undefined;
  if (fields !== undefined) (await import('@vellum/tasks')).assertTaskFields(fields);
  const task = await withTaskStore(context, (store) => store.tasks.require(id ?? ''));
  const { project } = await import('@vellum/collection');
  const shown = project(task, fields);
  emit(context, shown, () => show(shown as Task));
}

export async function list(
  context: Context,
  _args: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const filter: TaskFilter = {
    status: options.status as TaskFilter['status'],
    priority: options.priority as TaskFilter['priority'],
    story: options.story as string | undefined,
    persona: options.persona as string | undefined,
    limit: options.limit as number,
    cursor: options.cursor as string | undefined,
    fields: options.fields as string[] | undefined,
  };
  const page = await withTaskStore(context, (store) => store.tasks.list(filter));
  emit(context, page, () => {
    const rows = page.items.map((task) => line(task));
    const more =
      page.nextCursor === undefined ? '' : `\n${pc.dim(`more: --cursor ${page.nextCursor}`)}`;
    return `${rows.join('\n')}${rows.length > 0 ? '\n' : ''}${pc.dim(`${page.items.length} of ${page.total}`)}${more}`;
  });
}

export async function search(
  context: Context,
  [text]: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const page = await withTaskStore(context, (store) =>
    store.tasks.search(text ?? '', { limit: options.limit as number }),
  );
  emit(
    context,
    page,
    () =>
      page.items.map((hit) => `${hit.score.toFixed(2).padStart(6)}  ${line(hit.doc)}`).join('\n') ||
      pc.dim('no match'),
  );
}

export async function update(
  context: Context,
  [id]: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const patch = options.patch === undefined ? {} : parsePatch(options.patch as string);
  for (const key of ['status', 'priority', 'content'] as const)
    if (options[key] !== undefined) patch[key] = options[key];
  if (Object.keys(patch).length === 0)
    throw new CliError(
      'VELLUM_USAGE',
      'nothing to change: give --status, --priority, --content or --patch',
    );
  const task = await withTaskStore(context, (store) => store.tasks.update(id ?? '', patch));
  emit(context, task, () => `${pc.green('updated')} ${line(task)}`);
}

export async function complete(context: Context, [id]: string[]): Promise<void> {
  const task = await withTaskStore(context, (store) => store.tasks.complete(id ?? ''));
  emit(context, task, () => `${pc.green('completed')} ${line(task)}`);
}

export async function reopen(context: Context, [id]: string[]): Promise<void> {
  const task = await withTaskStore(context, (store) => store.tasks.reopen(id ?? ''));
  emit(context, task, () => `${pc.green('reopened')} ${line(task)}`);
}

export async function remove(context: Context, [id]: string[]): Promise<void> {
  await withTaskStore(context, (store) => store.tasks.delete(id ?? ''));
  emit(context, { deleted: id }, () => `${pc.green('deleted')} ${id ?? ''}`);
}

export async function deps(
  context: Context,
  [id = '']: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const task = await withTaskStore(context, async (store) => {
    if (options.set !== undefined) return store.tasks.setDependencies(id, options.set as string[]);
    if (options.add !== undefined) return store.tasks.addDependency(id, options.add as string);
    if (options.remove !== undefined)
      return store.tasks.removeDependency(id, options.remove as string);
    return store.tasks.require(id);
  });
  const links = {
    id: task.id,
    depends_on: task.relationships?.depends_on ?? [],
    blocks: task.relationships?.blocks ?? [],
  };
  emit(
    context,
    links,
    () =>
      `${task.id}\n  depends on: ${links.depends_on.join(', ') || '-'}\n  blocks:     ${links.blocks.join(', ') || '-'}`,
  );
}

export async function ready(context: Context): Promise<void> {
  const tasks = await withTaskStore(context, (store) => store.tasks.ready());
  emit(
    context,
    { items: tasks, total: tasks.length },
    () => tasks.map(line).join('\n') || pc.dim('nothing is ready'),
  );
}

export async function batch(context: Context, [file = '']: string[]): Promise<void> {
  const { stat } = await import('node:fs/promises');
  if (
    !(await stat(file).then(
      (info) => info.isFile(),
      () => false,
    ))
  ) {
    throw new CliError('VELLUM_NOT_FOUND', `no such file: ${file}`);
  }
  const bar = progress(context, 'batch');
  bar.update(0, undefined, file);
  const result = await withTaskStore(context, (store) => store.tasks.batchUpdate(file), 'create');
  bar.done();
  emit(
    context,
    result,
    () =>
      `${pc.green('applied')} ${result.created.length} created, ${result.updated.length} updated (${result.written} tasks written, one transaction)`,
  );
}
