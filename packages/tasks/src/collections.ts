import { join } from 'node:path';
import type { CollectionOptions } from '@vellum/collection';
import {
  integrationLayout,
  sessionLayout,
  stateId,
  stateLayout,
  taskLayout,
  workflowLayout,
} from './layouts.js';
import type { EntityState, IntegrationPoint, Session, Task, WorkflowExecution } from './schemas.js';
import { parseTaskId } from './task-ids.js';

/** How one collection is opened, minus what the caller gives (root, name, schema). */
export type CollectionSetup<T> = Omit<CollectionOptions<T>, 'root' | 'name' | 'schema'>;

/** Options shared by every collection of the store. */
export type SharedSetup = Pick<
  CollectionOptions<unknown>,
  | 'mode'
  | 'lockTimeout'
  | 'flushDelayMs'
  | 'now'
  | 'onOperation'
  | 'journalRetention'
  | 'repairIndexFiles'
>;

export interface TaskStoreCollections {
  tasks: CollectionSetup<Task>;
  integrations: CollectionSetup<IntegrationPoint>;
  states: CollectionSetup<EntityState>;
  workflows: CollectionSetup<WorkflowExecution>;
  sessions: CollectionSetup<Session>;
}

/**
 * How each collection of a `.ap-state` store is opened: its layout, indexes,
 * journal under `wal/<name>/` and state under `.vellum/<name>/`. Migrations and
 * tools open the collections exactly as `TaskStore` does from this.
 */
export function taskStoreCollections(shared: SharedSetup = {}): TaskStoreCollections {
  const common = (name: string): SharedSetup & { journalDir: string; stateDir: string } => ({
    // The whole history by default: `vellum backup restore --to-seq/--to-time` replays it.
    journalRetention: 'keep',
    ...shared,
    journalDir: join('wal', name),
    stateDir: join('.vellum', name),
  });
  return {
    tasks: {
      ...common('tasks'),
      layout: taskLayout(),
      indexes: {
        status: { key: (t) => t.status, file: 'tasks/index/by-status.json' },
        story: { key: (t) => t.metadata.story_id, file: 'tasks/index/by-story.json' },
        persona: { key: (t) => t.metadata.persona, file: 'tasks/index/by-persona.json' },
        priority: { key: (t) => t.priority, file: 'tasks/index/by-priority.json' },
        storyNumber: { key: (t) => parseTaskId(t.id)?.story },
      },
      fullText: { fields: ['content'] },
    },
    integrations: {
      ...common('integrations'),
      layout: integrationLayout(),
      indexes: {
        type: { key: (ip) => ip.type, file: 'integrations/index/by-type.json' },
        enabled: { key: (ip) => ip.configuration.enabled },
      },
    },
    states: {
      ...common('states'),
      layout: stateLayout(),
      idField: 'entity_id',
      idOf: stateId,
      indexes: {
        type: { key: (s) => s.entity_type },
        status: { key: (s) => s.current_state.status },
      },
    },
    workflows: {
      ...common('workflows'),
      layout: workflowLayout(),
      idField: 'workflow_id',
      indexes: { status: { key: (w) => w.status }, type: { key: (w) => w.workflow_type } },
    },
    sessions: {
      ...common('sessions'),
      layout: sessionLayout(),
      idField: 'session_id',
      indexes: { active: { key: (s) => s.end_time === null || s.end_time === undefined } },
    },
  };
}
