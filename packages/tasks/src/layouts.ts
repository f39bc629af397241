import { perDocumentLayout, type Layout } from '@vellum/collection';
import type { EntityState, IntegrationPoint, Session, Task, WorkflowExecution } from './schemas.js';

/** `YYYY-MM` of an ISO time; documents without a usable time go to `undated`. */
export function monthOf(time: string | null | undefined): string {
  return typeof time === 'string' && /^\d{4}-\d{2}/.test(time) ? time.slice(0, 7) : 'undated';
}

const under =
  (...folders: string[]) =>
  (path: string): boolean =>
    path.endsWith('.json') && folders.some((folder) => path.startsWith(`${folder}/`));

/** `tasks/active/<id>.json`; completed ones in `tasks/completed/YYYY-MM/<id>.json` (spec 000). */
export function taskLayout(): Layout<Task> {
  return perDocumentLayout<Task>({
    dir: 'tasks',
    pathOf: (task, id) =>
      task.status === 'completed'
        ? `completed/${monthOf(task.metadata.updated_at ?? task.metadata.created_at)}/${id}.json`
        : `active/${id}.json`,
    isDocumentFile: under('active', 'completed'),
  });
}

/** `integrations/active/<id>.json` and `integrations/disabled/<id>.json` (spec 000). */
export function integrationLayout(): Layout<IntegrationPoint> {
  return perDocumentLayout<IntegrationPoint>({
    dir: 'integrations',
    pathOf: (ip, id) => `${ip.configuration.enabled ? 'active' : 'disabled'}/${id}.json`,
    isDocumentFile: under('active', 'disabled'),
  });
}

/** The collection id of an entity state: `<entity_type>.<entity_id>`. */
export function stateId(state: Pick<EntityState, 'entity_type' | 'entity_id'>): string {
  return `${state.entity_type}.${state.entity_id}`;
}

/** `states/current/<entity_type>/<entity_id>.json` (spec 000). */
export function stateLayout(): Layout<EntityState> {
  return perDocumentLayout<EntityState>({
    dir: 'states',
    pathOf: (state) => `current/${state.entity_type}/${state.entity_id}.json`,
    isDocumentFile: under('current'),
    idOfFile: (path) => {
      const [, type, file] = path.split('/');
      return type === undefined || file === undefined
        ? undefined
        : `${type}.${file.replace(/\.json$/, '')}`;
    },
  });
}

/**
 * Spec 000 gives workflow executions no folder; they follow the tasks'
 * convention: `workflows/running/<id>.json`, finished ones in
 * `workflows/finished/YYYY-MM/<id>.json` by start month.
 */
export function workflowLayout(): Layout<WorkflowExecution> {
  return perDocumentLayout<WorkflowExecution>({
    dir: 'workflows',
    pathOf: (wf, id) =>
      wf.status === 'running'
        ? `running/${id}.json`
        : `finished/${monthOf(wf.start_time)}/${id}.json`,
    isDocumentFile: under('running', 'finished'),
  });
}

/** The same for sessions: `sessions/active/<id>.json`, ended ones in `sessions/ended/YYYY-MM/<id>.json`. */
export function sessionLayout(): Layout<Session> {
  return perDocumentLayout<Session>({
    dir: 'sessions',
    pathOf: (session, id) =>
      session.end_time === undefined || session.end_time === null
        ? `active/${id}.json`
        : `ended/${monthOf(session.start_time)}/${id}.json`,
    isDocumentFile: under('active', 'ended'),
  });
}
