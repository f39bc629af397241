import pc from 'picocolors';
import type { EntityType, IntegrationPoint, WorkflowExecution } from '@vellum/tasks';
import type { Context } from '../context.js';
import { CliError, emit } from '../output.js';
import { withTaskStore } from './open.js';

function endpoint(value: unknown, option: string): { type: string; name: string } {
  const [type, ...rest] = (typeof value === 'string' ? value : '').split(':');
  if (type === undefined || type === '' || rest.length === 0)
    throw new CliError('VELLUM_USAGE', `${option} must look like type:name, e.g. persona:sm`);
  return { type, name: rest.join(':') };
}

/** Thrown while the store is open, so that the failed command records no metrics. */
function found<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw new CliError('VELLUM_NOT_FOUND', message);
  return value;
}

function json(text: unknown, option: string): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(typeof text === 'string' ? text : '');
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new CliError('VELLUM_USAGE', `${option} must be a JSON object`);
}

const ipLine = (ip: IntegrationPoint): string =>
  `${ip.id}  ${ip.configuration.enabled ? pc.green('enabled ') : pc.dim('disabled')}  ${ip.type.padEnd(18)} ${ip.source.name} -> ${ip.target.name}  ${pc.dim(`${ip.metrics.executions} runs, ${ip.metrics.failures} failed, avg ${Math.round(ip.metrics.avg_duration_ms)} ms`)}`;

export async function integrationAdd(
  context: Context,
  _args: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const ip = await withTaskStore(
    context,
    (store) =>
      store.integrations.register({
        id: options.id as string | undefined,
        type: options.type as IntegrationPoint['type'],
        source: endpoint(options.source, '--source') as IntegrationPoint['source'],
        target: endpoint(options.target, '--target') as IntegrationPoint['target'],
      }),
    'create',
  );
  emit(context, ip, () => `${pc.green('registered')} ${ipLine(ip)}`);
}

export async function integrationList(
  context: Context,
  _args: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const page = await withTaskStore(context, (store) =>
    store.integrations.list({
      ...(options.type === undefined ? {} : { type: options.type as string }),
      ...(options.disabled === true ? { enabled: false } : {}),
    }),
  );
  emit(context, page, () => page.items.map(ipLine).join('\n') || pc.dim('no integration points'));
}

export async function integrationGet(context: Context, [id = '']: string[]): Promise<void> {
  const ip = await withTaskStore(context, async (store) =>
    found(await store.integrations.get(id), `no integration point ${id}`),
  );
  emit(context, ip, () => JSON.stringify(ip, null, 2));
}

export async function integrationEnable(context: Context, [id = '']: string[]): Promise<void> {
  const ip = await withTaskStore(context, (store) => store.integrations.enable(id));
  emit(context, ip, () => ipLine(ip));
}

export async function integrationDisable(context: Context, [id = '']: string[]): Promise<void> {
  const ip = await withTaskStore(context, (store) => store.integrations.disable(id));
  emit(context, ip, () => ipLine(ip));
}

export async function integrationRecord(
  context: Context,
  [id = '']: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const ip = await withTaskStore(context, (store) =>
    store.integrations.recordExecution(id, {
      duration_ms: options.duration as number,
      success: options.failed !== true,
      error: options.error as string | undefined,
    }),
  );
  emit(context, ip, () => ipLine(ip));
}

export async function stateGet(context: Context, [type = '', id = '']: string[]): Promise<void> {
  const state = await withTaskStore(context, async (store) =>
    found(await store.states.get(type as EntityType, id), `no state for ${type} ${id}`),
  );
  emit(context, state, () => JSON.stringify(state, null, 2));
}

export async function stateSet(
  context: Context,
  [type = '', id = '', status = '']: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const { EntityType } = await import('@vellum/tasks');
  const parsed = EntityType.safeParse(type);
  if (!parsed.success)
    throw new CliError(
      'VELLUM_VALIDATION',
      `unknown entity type ${JSON.stringify(type)}: use ${EntityType.options.join(', ')}`,
    );
  const state = await withTaskStore(
    context,
    (store) =>
      store.states.transition(parsed.data, id, {
        to: {
          status,
          ...(options.phase === undefined ? {} : { phase: options.phase as string }),
          ...(options.assignedTo === undefined
            ? {}
            : { assigned_to: options.assignedTo as string }),
          ...(options.progress === undefined
            ? {}
            : { progress_percentage: options.progress as number }),
        },
        changed_by: options.by as string,
        reason: options.reason as string,
      }),
    'create',
  );
  emit(context, state, () => `${type} ${id}: ${pc.bold(state.current_state.status)}`);
}

export async function stateList(
  context: Context,
  _args: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const page = await withTaskStore(context, (store) =>
    store.states.list({
      ...(options.type === undefined ? {} : { type: options.type as EntityType }),
      ...(options.status === undefined ? {} : { status: options.status as string }),
    }),
  );
  emit(
    context,
    page,
    () =>
      page.items
        .map(
          (s) => `${s.entity_type.padEnd(8)} ${s.entity_id.padEnd(16)} ${s.current_state.status}`,
        )
        .join('\n') || pc.dim('no states'),
  );
}

export async function sessionStart(
  context: Context,
  _args: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const session = await withTaskStore(
    context,
    (store) =>
      store.sessions.start(
        options.persona === undefined ? {} : { active_persona: options.persona as string },
      ),
    'create',
  );
  emit(context, session, () => `${pc.green('started')} ${session.session_id}`);
}

export async function sessionEvent(
  context: Context,
  [id = '', type = '']: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const session = await withTaskStore(context, (store) =>
    store.sessions.recordEvent(id, type, json(options.data, '--data')),
  );
  emit(
    context,
    session,
    () =>
      `${session.session_id}: ${session.events.length} events, ${JSON.stringify(session.metrics)}`,
  );
}

export async function sessionEnd(context: Context, [id = '']: string[]): Promise<void> {
  const session = await withTaskStore(context, (store) => store.sessions.end(id));
  emit(context, session, () => `${pc.green('ended')} ${session.session_id}`);
}

export async function sessionList(
  context: Context,
  _args: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const page = await withTaskStore(context, (store) =>
    store.sessions.list(options.active === true ? { active: true } : {}),
  );
  emit(
    context,
    page,
    () =>
      page.items
        .map(
          (s) =>
            `${s.session_id}  ${s.end_time ? pc.dim('ended') : pc.green('active')}  ${s.active_persona ?? ''}`,
        )
        .join('\n') || pc.dim('no sessions'),
  );
}

export async function sessionGet(context: Context, [id = '']: string[]): Promise<void> {
  const session = await withTaskStore(context, async (store) =>
    found(await store.sessions.get(id), `no session ${id}`),
  );
  emit(context, session, () => JSON.stringify(session, null, 2));
}

const wfLine = (wf: WorkflowExecution): string =>
  `${wf.workflow_id}  ${wf.status.padEnd(9)} ${wf.workflow_type}  ${wf.steps.map((s) => `${s.step_id}:${s.status}`).join(' ')}`;

export async function workflowStart(
  context: Context,
  [type = '']: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const steps = (options.steps as string[]).map((spec) => {
    const [step_id = '', step_type = 'task'] = spec.split(':');
    return { step_id, step_type: step_type as 'task' };
  });
  const wf = await withTaskStore(
    context,
    (store) =>
      store.workflows.start({
        workflow_type: type,
        initiated_by: options.by as WorkflowExecution['initiated_by'],
        steps,
      }),
    'create',
  );
  emit(context, wf, () => `${pc.green('started')} ${wfLine(wf)}`);
}

export async function workflowStep(
  context: Context,
  [id = '', step = '', status = '']: string[],
): Promise<void> {
  const wf = await withTaskStore(context, (store) =>
    store.workflows.updateStep(id, step, { status: status as 'running' }),
  );
  emit(context, wf, () => wfLine(wf));
}

export async function workflowFinish(
  context: Context,
  [id = '', status = '']: string[],
): Promise<void> {
  if (!['completed', 'failed', 'cancelled'].includes(status))
    throw new CliError('VELLUM_VALIDATION', 'status must be completed, failed or cancelled');
  const wf = await withTaskStore(context, (store) =>
    store.workflows.finish(id, status as 'completed'),
  );
  emit(context, wf, () => wfLine(wf));
}

export async function workflowList(
  context: Context,
  _args: string[],
  options: Record<string, unknown>,
): Promise<void> {
  const page = await withTaskStore(context, (store) =>
    store.workflows.list(
      options.status === undefined ? {} : { status: options.status as WorkflowExecution['status'] },
    ),
  );
  emit(context, page, () => page.items.map(wfLine).join('\n') || pc.dim('no workflows'));
}

export async function workflowGet(context: Context, [id = '']: string[]): Promise<void> {
  const wf = await withTaskStore(context, async (store) =>
    found(await store.workflows.get(id), `no workflow ${id}`),
  );
  emit(context, wf, () => JSON.stringify(wf, null, 2));
}
