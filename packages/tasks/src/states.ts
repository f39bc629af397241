import { join } from 'node:path';
import { ValidationError, type Collection, type Page } from '@vellum/collection';
import { appendDated } from './daily-log.js';
import { stateId } from './layouts.js';
import type { CurrentState, EntityState, EntityType, StateChange } from './schemas.js';

/** Allowed status changes per entity type: `from -> [to...]`. */
export type TransitionTable = Partial<Record<EntityType, Record<string, readonly string[]>>>;

const WORK: Record<string, readonly string[]> = {
  pending: ['in_progress', 'blocked', 'completed', 'cancelled'],
  in_progress: ['completed', 'blocked', 'pending', 'cancelled'],
  blocked: ['pending', 'in_progress', 'cancelled'],
  completed: ['pending', 'in_progress'],
  cancelled: ['pending'],
};

/**
 * Spec 000 names the entity types but not their statuses; these follow the
 * task statuses (plus `cancelled`), and sessions are `active` then `ended`.
 */
export const DEFAULT_TRANSITIONS: TransitionTable = {
  task: WORK,
  story: WORK,
  epic: WORK,
  session: { active: ['ended'], ended: [] },
};

/** How many changes a state document keeps in `state_history`; the JSONL log keeps them all. */
export const HISTORY_IN_DOCUMENT = 50;

/** One line of `states/history/YYYY-MM/state-changes.jsonl`. */
export interface StateChangeRecord extends StateChange {
  entity_type: EntityType;
  entity_id: string;
}

export interface TransitionInput {
  /** The new `current_state` members; `status` is required. */
  to: CurrentState;
  changed_by: string;
  reason: string;
}

/** Spec 000's state management: current state per entity, validated transitions, history. */
export class States {
  /** The states collection, opened on first use (the same one on every call). */
  readonly collection: () => Promise<Collection<EntityState>>;
  readonly #root: string;
  readonly #now: () => Date;
  readonly #transitions: TransitionTable;

  constructor(
    collection: () => Promise<Collection<EntityState>>,
    root: string,
    now: () => Date,
    transitions: TransitionTable,
  ) {
    this.collection = collection;
    this.#root = root;
    this.#now = now;
    this.#transitions = transitions;
  }

  async get(type: EntityType, id: string): Promise<EntityState | undefined> {
    return (await this.collection()).get(stateId({ entity_type: type, entity_id: id }));
  }

  async list(
    filter: { type?: EntityType; status?: string; limit?: number; cursor?: string } = {},
  ): Promise<Page<EntityState>> {
    const where: Record<string, string> = {};
    if (filter.type !== undefined) where.type = filter.type;
    if (filter.status !== undefined) where.status = filter.status;
    return (await this.collection()).query({ where, limit: filter.limit, cursor: filter.cursor });
  }

  /**
   * Moves an entity to a new state after checking the transition is allowed,
   * then appends the change to the month's history file.
   * @throws {ValidationError} a transition the table does not allow, or bad input; nothing written.
   */
  async transition(
    type: EntityType,
    entityId: string,
    input: TransitionInput,
  ): Promise<EntityState> {
    for (const [field, value] of [
      ['changed_by', input.changed_by],
      ['reason', input.reason],
    ] as const) {
      if (typeof value !== 'string' || value.trim() === '') {
        throw new ValidationError('state change', [{ path: [field], message: 'required' }]);
      }
    }
    const at = this.#now().toISOString();
    let change: StateChange | undefined;
    let next: EntityState | undefined;
    const id = stateId({ entity_type: type, entity_id: entityId });
    const collection = await this.collection();
    await collection.transact((view) => {
      const current = view.get(id);
      this.#check(type, current?.current_state.status, input.to.status);
      const to = { ...(current?.current_state ?? {}), ...input.to };
      change = {
        timestamp: at,
        from_state: current === undefined ? null : current.current_state,
        to_state: to,
        changed_by: input.changed_by,
        reason: input.reason,
      };
      next = {
        ...(current ?? {}),
        entity_type: type,
        entity_id: entityId,
        current_state: to,
        state_history: [...(current?.state_history ?? []), change].slice(-HISTORY_IN_DOCUMENT),
        checkpoints: current?.checkpoints ?? { last_checkpoint: null, checkpoint_data: null },
      };
      return [{ type: 'put', doc: next }];
    });
    const record: StateChangeRecord = {
      entity_type: type,
      entity_id: entityId,
      ...(change as StateChange),
    };
    // After the commit: a crash in between loses only this line; the document's own state_history has it.
    await appendDated(
      join(this.#root, 'states', 'history', at.slice(0, 7), 'state-changes.jsonl'),
      record,
    );
    return next as EntityState;
  }

  #check(type: EntityType, from: string | undefined, to: string): void {
    const table = this.#transitions[type];
    if (table === undefined) return;
    if (!(to in table)) {
      throw new ValidationError(`${type} state`, [
        {
          path: ['current_state', 'status'],
          message: `unknown status ${JSON.stringify(to)} (known: ${Object.keys(table).join(', ')})`,
        },
      ]);
    }
    if (from === undefined || from === to) return;
    const allowed = table[from];
    if (allowed !== undefined && !allowed.includes(to)) {
      throw new ValidationError(`${type} state`, [
        {
          path: ['current_state', 'status'],
          message: `cannot go from ${from} to ${to} (allowed: ${allowed.join(', ') || 'none'})`,
        },
      ]);
    }
  }

  /** Sets the entity's `checkpoints` (`last_checkpoint` now, with `data`). */
  async checkpoint(
    type: EntityType,
    entityId: string,
    data: Record<string, unknown>,
  ): Promise<EntityState> {
    const id = stateId({ entity_type: type, entity_id: entityId });
    let next: EntityState | undefined;
    const collection = await this.collection();
    await collection.transact((view) => {
      const current = view.get(id);
      if (current === undefined) {
        throw new ValidationError(`${type} state`, [
          { path: ['entity_id'], message: `${entityId} has no state yet` },
        ]);
      }
      next = {
        ...current,
        checkpoints: { last_checkpoint: this.#now().toISOString(), checkpoint_data: data },
      };
      return [{ type: 'put', doc: next }];
    });
    return next as EntityState;
  }
}
