import { z } from 'zod';

/** `TASK-<story>-<n>` or, for a subtask, `TASK-<story>-<n>-<sub>` (spec 000). */
export const TASK_ID = /^TASK-[0-9]+-[0-9]+(-[0-9]+)?$/;

const isoDateTime = z.iso.datetime({ offset: true });
const idList = z.array(z.string());

export const TaskStatus = z.enum(['pending', 'in_progress', 'completed', 'blocked']);
export const TaskPriority = z.enum(['high', 'medium', 'low']);

/** Spec 000's task schema. Unknown members are kept: files written by other tools stay whole. */
export const Task = z.looseObject({
  id: z.string().regex(TASK_ID, 'must look like TASK-001-002 or TASK-001-002-1'),
  content: z.string().min(1),
  status: TaskStatus,
  priority: TaskPriority,
  metadata: z.looseObject({
    created_at: isoDateTime.optional(),
    updated_at: isoDateTime.optional(),
    created_by: z.string().optional(),
    story_id: z.string().optional(),
    epic_id: z.string().optional(),
    persona: z.string().optional(),
    line_number: z.number().int().optional(),
    file_path: z.string().optional(),
  }),
  relationships: z
    .looseObject({
      depends_on: idList.optional(),
      blocks: idList.optional(),
      related_to: idList.optional(),
    })
    .optional(),
});
export type Task = z.infer<typeof Task>;

export const IntegrationType = z.enum([
  'task_creation',
  'data_flow',
  'state_management',
  'automation_hooks',
  'validation_points',
  'reporting',
]);

/** Spec 000's integration point (`IP-001`). */
export const IntegrationPoint = z.looseObject({
  id: z.string().regex(/^IP-[0-9]+$/, 'must look like IP-001'),
  type: IntegrationType,
  source: z.looseObject({
    type: z.enum(['persona', 'task']),
    name: z.string(),
    file: z.string().optional(),
  }),
  target: z.looseObject({ type: z.enum(['tool', 'persona', 'system']), name: z.string() }),
  configuration: z.looseObject({
    enabled: z.boolean(),
    priority: z.number().int().min(1).max(100),
    automation_level: z.enum(['full', 'semi', 'manual']),
    triggers: z.array(z.string()),
  }),
  metrics: z.looseObject({
    executions: z.number().int().min(0),
    failures: z.number().int().min(0),
    avg_duration_ms: z.number().min(0),
    last_execution: isoDateTime.nullable().optional(),
  }),
});
export type IntegrationPoint = z.infer<typeof IntegrationPoint>;

export const EntityType = z.enum(['story', 'epic', 'task', 'session']);
export type EntityType = z.infer<typeof EntityType>;

export const CurrentState = z.looseObject({
  status: z.string(),
  phase: z.string().optional(),
  assigned_to: z.string().optional(),
  progress_percentage: z.number().min(0).max(100).optional(),
});
export type CurrentState = z.infer<typeof CurrentState>;

export const StateChange = z.looseObject({
  timestamp: isoDateTime,
  from_state: z.record(z.string(), z.unknown()).nullable(),
  to_state: z.record(z.string(), z.unknown()),
  changed_by: z.string(),
  reason: z.string(),
});
export type StateChange = z.infer<typeof StateChange>;

/** Spec 000's entity state, kept in `states/current/<entity_type>/<entity_id>.json`. */
export const EntityState = z.looseObject({
  entity_type: EntityType,
  entity_id: z.string().min(1),
  current_state: CurrentState,
  state_history: z.array(StateChange),
  checkpoints: z
    .looseObject({
      last_checkpoint: isoDateTime.nullable(),
      checkpoint_data: z.record(z.string(), z.unknown()).nullable(),
    })
    .optional(),
});
export type EntityState = z.infer<typeof EntityState>;

export const StepStatus = z.enum(['pending', 'running', 'completed', 'failed', 'skipped']);
export const WorkflowStatus = z.enum(['running', 'completed', 'failed', 'cancelled']);

export const WorkflowStep = z.looseObject({
  step_id: z.string().min(1),
  step_type: z.enum(['task', 'validation', 'handoff', 'automation']),
  status: StepStatus,
  start_time: isoDateTime.nullable().optional(),
  end_time: isoDateTime.nullable().optional(),
  input: z.record(z.string(), z.unknown()).optional(),
  output: z.record(z.string(), z.unknown()).optional(),
  errors: z.array(z.unknown()).optional(),
});
export type WorkflowStep = z.infer<typeof WorkflowStep>;

/** Spec 000's workflow execution. */
export const WorkflowExecution = z.looseObject({
  workflow_id: z.string().min(1),
  workflow_type: z.string().min(1),
  initiated_by: z.enum(['persona', 'user', 'automation']),
  start_time: isoDateTime,
  end_time: isoDateTime.nullable().optional(),
  status: WorkflowStatus,
  steps: z.array(WorkflowStep),
  context: z.looseObject({
    story_id: z.string().optional(),
    epic_id: z.string().optional(),
    persona: z.string().optional(),
  }),
});
export type WorkflowExecution = z.infer<typeof WorkflowExecution>;

export const SessionEvent = z.looseObject({
  timestamp: isoDateTime,
  event_type: z.string().min(1),
  event_data: z.record(z.string(), z.unknown()).optional(),
});
export type SessionEvent = z.infer<typeof SessionEvent>;

export const SessionCounters = [
  'tasks_created',
  'tasks_completed',
  'validations_run',
  'handoffs',
] as const;
export type SessionCounter = (typeof SessionCounters)[number];

/** Spec 000's session. */
export const Session = z.looseObject({
  session_id: z.string().min(1),
  start_time: isoDateTime,
  end_time: isoDateTime.nullable().optional(),
  active_persona: z.string().optional(),
  session_context: z.looseObject({
    working_directory: z.string().optional(),
    active_story: z.string().optional(),
    active_tasks: z.array(z.string()).optional(),
    environment: z.record(z.string(), z.unknown()).optional(),
  }),
  events: z.array(SessionEvent),
  metrics: z.looseObject({
    tasks_created: z.number().int().min(0),
    tasks_completed: z.number().int().min(0),
    validations_run: z.number().int().min(0),
    handoffs: z.number().int().min(0),
  }),
});
export type Session = z.infer<typeof Session>;
