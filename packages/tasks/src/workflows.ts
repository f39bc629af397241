import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError, type Collection, type Page } from '@vellum/collection';
import { StepNotFoundError } from './errors.js';
import type { WorkflowExecution, WorkflowStep } from './schemas.js';

export interface NewWorkflow {
  workflow_type: string;
  initiated_by: WorkflowExecution['initiated_by'];
  context?: WorkflowExecution['context'] | undefined;
  steps: {
    step_id: string;
    step_type: WorkflowStep['step_type'];
    input?: Record<string, unknown>;
  }[];
}

export interface StepUpdate {
  status: WorkflowStep['status'];
  output?: Record<string, unknown> | undefined;
  errors?: unknown[] | undefined;
}

const STEP_TRANSITIONS: Record<WorkflowStep['status'], readonly WorkflowStep['status'][]> = {
  pending: ['running', 'skipped'],
  running: ['completed', 'failed'],
  completed: [],
  failed: ['running'],
  skipped: [],
};

/** Spec 000's workflow executions, with their steps' statuses and times. */
export class Workflows {
  /** The workflows collection, opened on first use (the same one on every call). */
  readonly collection: () => Promise<Collection<WorkflowExecution>>;
  readonly #now: () => Date;

  constructor(collection: () => Promise<Collection<WorkflowExecution>>, now: () => Date) {
    this.collection = collection;
    this.#now = now;
  }

  /** Starts a workflow: status `running`, every step `pending`. */
  async start(input: NewWorkflow): Promise<WorkflowExecution> {
    const ids = input.steps.map((step) => step.step_id);
    if (new Set(ids).size !== ids.length) {
      throw new ValidationError('workflow', [
        { path: ['steps'], message: 'step ids must be unique' },
      ]);
    }
    const workflow: WorkflowExecution = {
      workflow_id: randomUUID(),
      workflow_type: input.workflow_type,
      initiated_by: input.initiated_by,
      start_time: this.#now().toISOString(),
      end_time: null,
      status: 'running',
      steps: input.steps.map((step) => ({
        ...step,
        status: 'pending',
        start_time: null,
        end_time: null,
        errors: [],
      })),
      context: input.context ?? {},
    };
    const collection = await this.collection();
    await collection.put(workflow, { expectedRevision: 0 });
    return workflow;
  }

  async get(id: string): Promise<WorkflowExecution | undefined> {
    return (await this.collection()).get(id);
  }

  async list(
    filter: {
      status?: WorkflowExecution['status'];
      type?: string;
      limit?: number;
      cursor?: string;
    } = {},
  ): Promise<Page<WorkflowExecution>> {
    const where: Record<string, string> = {};
    if (filter.status !== undefined) where.status = filter.status;
    if (filter.type !== undefined) where.type = filter.type;
    return (await this.collection()).query({ where, limit: filter.limit, cursor: filter.cursor });
  }

  /**
   * Moves a step along `pending -> running -> completed | failed` (or
   * `pending -> skipped`; a failed step may run again), stamping its times.
   * @throws {NotFoundError} no such workflow; {StepNotFoundError} no such step.
   * @throws {ValidationError} a step of a finished workflow, or a transition not allowed.
   */
  async updateStep(
    workflowId: string,
    stepId: string,
    update: StepUpdate,
  ): Promise<WorkflowExecution> {
    return this.#changeRunning(workflowId, (workflow) => {
      const index = workflow.steps.findIndex((step) => step.step_id === stepId);
      const step = workflow.steps[index];
      if (step === undefined) throw new StepNotFoundError(workflowId, stepId);
      if (!STEP_TRANSITIONS[step.status].includes(update.status)) {
        throw new ValidationError(`workflow ${workflowId}`, [
          {
            path: ['steps', index, 'status'],
            message: `cannot go from ${step.status} to ${update.status}`,
          },
        ]);
      }
      const at = this.#now().toISOString();
      const changed: WorkflowStep = {
        ...step,
        status: update.status,
        ...(update.status === 'running' ? { start_time: at, end_time: null } : { end_time: at }),
        ...(update.output === undefined ? {} : { output: update.output }),
        ...(update.errors === undefined
          ? {}
          : { errors: [...(step.errors ?? []), ...update.errors] }),
      };
      return { ...workflow, steps: workflow.steps.map((s, i) => (i === index ? changed : s)) };
    });
  }

  /** Ends a running workflow; its file moves to `finished/YYYY-MM/`. */
  async finish(
    workflowId: string,
    status: Exclude<WorkflowExecution['status'], 'running'>,
  ): Promise<WorkflowExecution> {
    return this.#changeRunning(workflowId, (workflow) => ({
      ...workflow,
      status,
      end_time: this.#now().toISOString(),
    }));
  }

  /** Changes a workflow that is still running, under the lock. */
  async #changeRunning(
    workflowId: string,
    change: (workflow: WorkflowExecution) => WorkflowExecution,
  ): Promise<WorkflowExecution> {
    let next: WorkflowExecution | undefined;
    const collection = await this.collection();
    await collection.transact((view) => {
      const workflow = view.get(workflowId);
      if (workflow === undefined) throw new NotFoundError('workflows', workflowId);
      if (workflow.status !== 'running') {
        throw new ValidationError(`workflow ${workflowId}`, [
          { path: ['status'], message: `already ${workflow.status}, not running` },
        ]);
      }
      next = change(workflow);
      return [{ type: 'put', doc: next }];
    });
    return next as WorkflowExecution;
  }
}
