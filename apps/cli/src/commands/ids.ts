import pc from 'picocolors';
import type { ExternalIdMapper, ExternalIdMapperOptions, ExternalTool } from '@vellum/external-ids';
import type { Context } from '../context.js';
import { CliError, emit } from '../output.js';
import { requireDir, withTaskStore } from './open.js';

/**
 * Runs `work` on the project's spec 003 mapper. A state file that cannot be
 * read is reported with the ways out as commands (the library's message names
 * its own API); where it happened stays in `details`.
 */
async function withMapper<T>(
  context: Context,
  work: (ids: ExternalIdMapper) => Promise<T>,
  taskExists?: ExternalIdMapperOptions['taskExists'],
): Promise<T> {
  const { ExternalIdMapper, StateUnreadableError } = await import('@vellum/external-ids');
  const ids = new ExternalIdMapper({
    stateDir: context.idsDir,
    lockTimeout: context.lockTimeout,
    taskExists,
  });
  try {
    return await work(ids);
  } catch (error) {
    if (!(error instanceof StateUnreadableError)) throw error;
    throw new CliError(
      'VELLUM_STATE_UNREADABLE',
      `${error.path ?? 'a state file'} and its .bak cannot be read; nothing was written. Put back a good copy of the file, or run \`vellum ids reset mappings\` (or counters, sync, all) to start over: the unreadable files are kept aside, not deleted`,
      undefined,
      { cause: error },
    );
  }
}

/** A read needs the state folder: creating it would hide a mistyped --root or --ids-dir. */
const requireIds = (context: Context): Promise<void> =>
  requireDir(context.idsDir, 'run `vellum ids map` to start one, or pass --root');

export async function reset(context: Context, [target = '']: string[]): Promise<void> {
  const { RESET_TARGETS } = await import('@vellum/external-ids');
  if (!(RESET_TARGETS as readonly string[]).includes(target)) {
    throw new CliError('VELLUM_VALIDATION', `reset what? one of ${RESET_TARGETS.join(', ')}`);
  }
  const keptAt = await withMapper(context, (ids) =>
    ids.reset(target as (typeof RESET_TARGETS)[number]),
  );
  emit(
    context,
    { target, keptAt },
    () =>
      `${pc.green('reset')} ${target}; the old files are kept at: ${keptAt.join(', ') || '(none existed)'}`,
  );
}

async function tool(name: string | undefined): Promise<ExternalTool> {
  const { isTool, TOOLS } = await import('@vellum/external-ids');
  if (name === undefined || !isTool(name)) {
    throw new CliError(
      'VELLUM_VALIDATION',
      `unknown tool ${JSON.stringify(name)}: use one of ${TOOLS.join(', ')}`,
    );
  }
  return name;
}

export async function map(
  context: Context,
  [internalId = '', toolName]: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const chosen = await tool(toolName);
  // Only a task of the store gets an id: the check and the mapping share one open store.
  const externalId = await withTaskStore(context, (store) =>
    withMapper(
      context,
      (ids) => ids.mapToExternal(internalId, chosen, options.project as string | undefined),
      async (id) => (await store.tasks.get(id)) !== undefined,
    ),
  );
  emit(
    context,
    { internalId, tool: toolName, externalId },
    () => `${internalId} ${pc.dim('->')} ${pc.bold(externalId)} ${pc.dim(`(${toolName ?? ''})`)}`,
  );
}

export async function record(
  context: Context,
  [internalId = '', toolName, externalId = '']: string[],
): Promise<void> {
  const chosen = await tool(toolName);
  await withMapper(context, (ids) => ids.recordExternal(internalId, chosen, externalId));
  emit(
    context,
    { internalId, tool: toolName, externalId },
    () => `${pc.green('recorded')} ${internalId} -> ${externalId}`,
  );
}

export async function get(context: Context, [internalId = '', toolName]: string[]): Promise<void> {
  if (toolName !== undefined) {
    const chosen = await tool(toolName);
    await requireIds(context);
    const externalId = await withMapper(context, (ids) => ids.getExternal(internalId, chosen));
    if (externalId === undefined)
      throw new CliError('VELLUM_NOT_FOUND', `${internalId} has no ${toolName} id`);
    emit(context, { internalId, tool: toolName, externalId }, () => externalId);
    return;
  }
  await requireIds(context);
  const entry = (await withMapper(context, (ids) => ids.list())).find(
    (e) => e.internalId === internalId,
  );
  if (entry === undefined)
    throw new CliError('VELLUM_NOT_FOUND', `${internalId} has no external ids`);
  emit(context, entry, () =>
    Object.entries(entry.ids)
      .map(([t, id]) => `${t.padEnd(12)} ${id}`)
      .join('\n'),
  );
}

export async function reverse(
  context: Context,
  [toolName, externalId = '']: string[],
): Promise<void> {
  const chosen = await tool(toolName);
  await requireIds(context);
  const internalId = await withMapper(context, (ids) => ids.getInternal(chosen, externalId));
  if (internalId === undefined)
    throw new CliError('VELLUM_NOT_FOUND', `no task has ${toolName ?? ''} id ${externalId}`);
  emit(context, { tool: toolName, externalId, internalId }, () => internalId);
}

export async function list(context: Context): Promise<void> {
  await requireIds(context);
  const entries = await withMapper(context, (ids) => ids.list());
  emit(
    context,
    { items: entries, total: entries.length },
    () =>
      entries
        .map(
          (e) =>
            `${e.internalId.padEnd(16)} ${Object.entries(e.ids)
              .map(([t, id]) => `${t}=${id}`)
              .join('  ')}`,
        )
        .join('\n') || pc.dim('no mappings'),
  );
}

export async function unmap(
  context: Context,
  [internalId = '', toolName]: string[],
): Promise<void> {
  const chosen = toolName === undefined ? undefined : await tool(toolName);
  await requireIds(context);
  const removed = await withMapper(context, (ids) => ids.unmap(internalId, chosen));
  if (!removed)
    throw new CliError(
      'VELLUM_NOT_FOUND',
      `${internalId} has no ${toolName ?? 'external'} id to remove`,
    );
  emit(
    context,
    { internalId, tool: toolName ?? null, removed },
    () => `${pc.green('unmapped')} ${internalId}${toolName === undefined ? '' : ` (${toolName})`}`,
  );
}
