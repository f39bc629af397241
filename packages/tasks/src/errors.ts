import { ConflictError, NotFoundError } from '@vellum/collection';

/**
 * A document created with an explicit id that is taken (`VELLUM_CONFLICT`):
 * a put that expected no document, found one. Nothing was written.
 */
export class AlreadyExistsError extends ConflictError {
  constructor(kind: string, id: string, revision: number | undefined) {
    super(id, 0, revision);
    this.message = `${kind} ${id} already exists`;
  }
}

/** A workflow has no step with this id (`VELLUM_NOT_FOUND`). Nothing was written. */
export class StepNotFoundError extends NotFoundError {
  readonly workflowId: string;
  constructor(workflowId: string, stepId: string) {
    super('workflows', stepId);
    this.message = `workflow ${workflowId}: no step ${stepId}`;
    this.workflowId = workflowId;
  }
}
