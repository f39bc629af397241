import { join } from 'node:path';
import {
  NotFoundError,
  ValidationError,
  mergePatch,
  type Collection,
  type Page,
} from '@vellum/collection';
import { appendDated } from './daily-log.js';
import { AlreadyExistsError } from './errors.js';
import type { IntegrationPoint } from './schemas.js';

export interface NewIntegration {
  /** Use this id (`IP-007`); default: the next free one. */
  id?: string | undefined;
  type: IntegrationPoint['type'];
  source: IntegrationPoint['source'];
  target: IntegrationPoint['target'];
  configuration?: Partial<IntegrationPoint['configuration']> | undefined;
}

export interface Execution {
  duration_ms: number;
  success: boolean;
  error?: string | undefined;
}

/** One line of `integrations/metrics/YYYY-MM-DD.jsonl`. */
export interface ExecutionRecord {
  timestamp: string;
  integration_id: string;
  duration_ms: number;
  status: 'success' | 'failure';
  error?: string;
}

/** Spec 000's integration points: `integrations/active|disabled/IP-###.json` and daily execution metrics. */
export class Integrations {
  /** The integrations collection, opened on first use (the same one on every call). */
  readonly collection: () => Promise<Collection<IntegrationPoint>>;
  readonly #root: string;
  readonly #now: () => Date;

  constructor(
    collection: () => Promise<Collection<IntegrationPoint>>,
    root: string,
    now: () => Date,
  ) {
    this.collection = collection;
    this.#root = root;
    this.#now = now;
  }

  /**
   * Registers an integration point with zeroed metrics.
   * @throws {ValidationError} bad input.
   * @throws {AlreadyExistsError} the id is taken (`VELLUM_CONFLICT`).
   */
  async register(input: NewIntegration): Promise<IntegrationPoint> {
    let created: IntegrationPoint | undefined;
    const collection = await this.collection();
    await collection.transact((view) => {
      let id = input.id;
      if (id === undefined) {
        const used = view
          .ids()
          .map((existing) => Number(existing.slice(3)))
          .filter(Number.isFinite);
        id = `IP-${String((used.length === 0 ? 0 : Math.max(...used)) + 1).padStart(3, '0')}`;
      } else if (view.get(id) !== undefined) {
        throw new AlreadyExistsError('integration', id, view.revision(id));
      }
      created = {
        id,
        type: input.type,
        source: input.source,
        target: input.target,
        configuration: {
          enabled: true,
          priority: 50,
          automation_level: 'manual',
          triggers: [],
          ...input.configuration,
        },
        metrics: { executions: 0, failures: 0, avg_duration_ms: 0, last_execution: null },
      };
      return [{ type: 'put', doc: created }];
    });
    return created as IntegrationPoint;
  }

  async get(id: string): Promise<IntegrationPoint | undefined> {
    return (await this.collection()).get(id);
  }

  async list(
    filter: { type?: string; enabled?: boolean; limit?: number; cursor?: string } = {},
  ): Promise<Page<IntegrationPoint>> {
    const where: Record<string, string | boolean> = {};
    if (filter.type !== undefined) where.type = filter.type;
    if (filter.enabled !== undefined) where.enabled = filter.enabled;
    return (await this.collection()).query({ where, limit: filter.limit, cursor: filter.cursor });
  }

  /** @throws {NotFoundError} | {ValidationError} */
  async update(id: string, patch: Record<string, unknown>): Promise<IntegrationPoint> {
    let updated: IntegrationPoint | undefined;
    const collection = await this.collection();
    await collection.transact((view) => {
      const current = view.get(id);
      if (current === undefined) throw new NotFoundError('integrations', id);
      updated = mergePatch(current, patch) as IntegrationPoint;
      if (updated.id !== id)
        throw new ValidationError(`integration ${id}`, [
          { path: ['id'], message: 'the id cannot change' },
        ]);
      return [{ type: 'put', doc: updated }];
    });
    return updated as IntegrationPoint;
  }

  /** Moves the file to `integrations/active/`. */
  enable(id: string): Promise<IntegrationPoint> {
    return this.update(id, { configuration: { enabled: true } });
  }

  /** Moves the file to `integrations/disabled/`. */
  disable(id: string): Promise<IntegrationPoint> {
    return this.update(id, { configuration: { enabled: false } });
  }

  /**
   * Records one execution: updates `executions`, `failures`, `avg_duration_ms`
   * and `last_execution`, and appends a line to the day's metrics file.
   * @throws {NotFoundError} | {ValidationError} a negative or non-finite duration.
   */
  async recordExecution(id: string, execution: Execution): Promise<IntegrationPoint> {
    if (!Number.isFinite(execution.duration_ms) || execution.duration_ms < 0) {
      throw new ValidationError('execution', [
        { path: ['duration_ms'], message: 'must be a finite number >= 0' },
      ]);
    }
    const at = this.#now().toISOString();
    let updated: IntegrationPoint | undefined;
    const collection = await this.collection();
    await collection.transact((view) => {
      const current = view.get(id);
      if (current === undefined) throw new NotFoundError('integrations', id);
      const { executions, failures, avg_duration_ms } = current.metrics;
      updated = {
        ...current,
        metrics: {
          ...current.metrics,
          executions: executions + 1,
          failures: failures + (execution.success ? 0 : 1),
          avg_duration_ms:
            (avg_duration_ms * executions + execution.duration_ms) / (executions + 1),
          last_execution: at,
        },
      };
      return [{ type: 'put', doc: updated }];
    });
    const record: ExecutionRecord = {
      timestamp: at,
      integration_id: id,
      duration_ms: execution.duration_ms,
      status: execution.success ? 'success' : 'failure',
      ...(execution.error === undefined ? {} : { error: execution.error }),
    };
    await appendDated(
      join(this.#root, 'integrations', 'metrics', `${at.slice(0, 10)}.jsonl`),
      record,
    );
    return updated as IntegrationPoint;
  }
}
