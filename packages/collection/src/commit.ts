import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { mergePatch } from './merge-patch.js';
import { select } from './query.js';
import { encoded, journalOp, type Encoded, type Planned } from './records.js';
import type { CollectionState } from './state.js';
import type { BatchOp, TransactionPlan, TransactionView, WriteResult } from './types.js';
import { idOfDocument, validateDocument, validateDocuments } from './validate.js';

/** What a `transact` plan returns: the operations, or the operations and a value. */
export type PlanOutput = readonly BatchOp[] | TransactionPlan<unknown>;

export type Plan<T> = (view: TransactionView<T>) => PlanOutput | Promise<PlanOutput>;

/** A committed request: the write results, and what its plan returned (for `transact`). */
export interface Committed {
  results: WriteResult[];
  planned: PlanOutput | undefined;
}

/** Operations validated outside the lock, or a plan that computes them under it. */
export type CommitInput<T> =
  { ops: readonly BatchOp[]; prevalidated: readonly (T | undefined)[] } | { plan: Plan<T> };

type CommitRequest<T> = CommitInput<T> & {
  resolve: (committed: Committed) => void;
  reject: (error: unknown) => void;
};

/** What earlier requests of a commit group did, for the later ones to plan against. */
interface Overlay<T> {
  docs: Map<string, T | undefined>;
  planned: Planned<T>[];
}

/** A request that must wait for the next group: it checks a revision this group is changing. */
const DEFER = Symbol('defer');

/**
 * The write path. Group commit: requests that arrive while a group is being
 * committed form the next group. Each request stays its own transaction, but
 * a group shares one lock acquisition, one write and one fdatasync.
 */
export class CommitQueue<T> {
  readonly #state: CollectionState<T>;
  #queue: CommitRequest<T>[] = [];
  #committing = false;

  constructor(state: CollectionState<T>) {
    this.#state = state;
  }

  /** Commits the request in the next group; settles once it is in the journal and in memory. */
  submit(input: CommitInput<T>): Promise<Committed> {
    return new Promise<Committed>((resolve, reject) => {
      this.#queue.push({ ...input, resolve, reject });
      if (!this.#committing) void this.#loop();
    });
  }

  async #loop(): Promise<void> {
    this.#committing = true;
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue.splice(0);
        try {
          await this.#state.exclusive(() => this.#commitGroup(group));
        } catch (error) {
          // The lock or the catch-up failed: nobody in the group was committed.
          for (const request of group) request.reject(error);
        }
      }
    } finally {
      this.#committing = false;
    }
  }

  async #commitGroup(group: readonly CommitRequest<T>[]): Promise<void> {
    const state = this.#state;
    const overlay: Overlay<T> = { docs: new Map(), planned: [] };
    const accepted: { request: CommitRequest<T>; planned: Encoded<T>[]; out?: PlanOutput }[] = [];
    const deferred: CommitRequest<T>[] = [];
    for (const request of group) {
      try {
        let ops: readonly BatchOp[];
        let prevalidated: readonly (T | undefined)[];
        let out: PlanOutput | undefined;
        if ('plan' in request) {
          // Its view must be exactly the committed state: it goes first in a group of its own making.
          if (accepted.length > 0) {
            deferred.push(request);
            continue;
          }
          out = await request.plan(viewOf(state));
          ops = isValuePlan(out) ? out.ops : out;
          prevalidated = await prevalidate(state, ops);
        } else {
          ({ ops, prevalidated } = request);
        }
        const planned = await plan(state, ops, prevalidated, overlay);
        if (planned === DEFER) {
          deferred.push(request);
          continue;
        }
        for (const p of planned) overlay.docs.set(p.id, p.doc);
        overlay.planned.push(...planned);
        accepted.push({ request, planned, ...(out === undefined ? {} : { out }) });
      } catch (error) {
        request.reject(error);
      }
    }
    // First in the next group, where nothing before them can change what they check.
    this.#queue.unshift(...deferred);
    // Issued in one tick, the appends share one write and one fdatasync.
    const appends = accepted.map(({ planned }) => state.journal.append(planned.map(journalOp)));
    const outcomes = await Promise.allSettled(appends);
    outcomes.forEach((outcome, i) => {
      const { request, planned, out } = accepted[i] ?? {};
      if (request === undefined || planned === undefined) return;
      if (outcome.status === 'rejected') {
        request.reject(outcome.reason);
        return;
      }
      const tx = outcome.value;
      state.apply(tx, 'local');
      request.resolve({
        results: planned.map((p, k) => ({
          id: p.id,
          revision: p.op === 'delete' ? 0 : (tx.ops[k]?.seq ?? 0),
        })),
        planned: out,
      });
    });
  }
}

/** Whether a plan returned a value besides its operations. */
export function isValuePlan(out: PlanOutput): out is TransactionPlan<unknown> {
  return !Array.isArray(out);
}

/**
 * Validates the documents of the puts against the schema and their ids, before
 * the lock is taken. @throws {ValidationError} naming the batch item.
 */
export async function prevalidate<T>(
  state: CollectionState<T>,
  ops: readonly BatchOp[],
): Promise<(T | undefined)[]> {
  const puts = ops.flatMap((op, i) => (op.type === 'put' ? [i] : []));
  const subjectOf = (k: number): string =>
    ops.length > 1 ? `${state.name} document (batch item ${puts[k]})` : `${state.name} document`;
  const valid = await validateDocuments(
    state.schema,
    puts.map((i) => (ops[i] as { doc: unknown }).doc),
    subjectOf,
  );
  const out = new Array<T | undefined>(ops.length).fill(undefined);
  puts.forEach((i, k) => {
    idOfDocument(valid[k], state.id, subjectOf(k));
    out[i] = valid[k];
  });
  return out;
}

function viewOf<T>(state: CollectionState<T>): TransactionView<T> {
  return {
    get: (id) => state.docs.get(id)?.doc,
    revision: (id) => state.docs.get(id)?.revision,
    ids: (where) => select(state, where),
  };
}

/**
 * Turns operations into the writes to journal, against the committed state
 * and what earlier requests of the group planned; checks revisions and indexes.
 * @throws {NotFoundError | ValidationError | ConflictError | UniqueConstraintError | InvalidKeyError}
 */
async function plan<T>(
  state: CollectionState<T>,
  ops: readonly BatchOp[],
  prevalidated: readonly (T | undefined)[],
  overlay: Overlay<T>,
): Promise<Encoded<T>[] | typeof DEFER> {
  const pending = new Map<string, T | undefined>();
  const current = (id: string): T | undefined => {
    if (pending.has(id)) return pending.get(id);
    if (overlay.docs.has(id)) return overlay.docs.get(id);
    return state.docs.get(id)?.doc;
  };
  const planned: Encoded<T>[] = [];
  for (const [i, op] of ops.entries()) {
    let next: Planned<T>;
    if (op.type === 'put') {
      const doc = prevalidated[i] as T;
      next = { op: 'put', id: idOfDocument(doc, state.id, state.name), doc };
    } else if (op.type === 'patch') {
      const base = current(op.id);
      if (base === undefined) throw new NotFoundError(state.name, op.id);
      const doc = await validateDocument(
        state.schema,
        mergePatch(base, op.patch),
        `${state.name} document ${op.id} after patch`,
      );
      if (idOfDocument(doc, state.id, state.name) !== op.id) {
        throw new ValidationError(`patch of ${op.id}`, [
          { path: [state.id.field], message: 'a patch cannot change the id' },
        ]);
      }
      next = { op: 'put', id: op.id, doc };
    } else {
      if (current(op.id) === undefined) throw new NotFoundError(state.name, op.id);
      next = { op: 'delete', id: op.id, doc: undefined };
    }
    if (op.expectedRevision !== undefined) {
      if (overlay.docs.has(next.id)) return DEFER;
      const revision = state.docs.get(next.id)?.revision;
      if ((revision ?? 0) !== op.expectedRevision)
        throw new ConflictError(next.id, op.expectedRevision, revision);
    }
    pending.set(next.id, next.doc);
    planned.push(encoded(next));
  }
  const writes = [...overlay.planned, ...planned];
  for (const { index } of state.indexes.values()) index.check(writes);
  return planned;
}
