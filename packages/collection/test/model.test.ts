import fc from 'fast-check';
import { withTempDir } from '@vellum/test-utils';
import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError, type BatchOp, type Collection } from '../src/index.js';
import { openTasks, task, type Task } from './fixtures.js';

interface Real {
  root: string;
  tasks: Collection<Task>;
  /** Instances dropped by a crash: closed only when the history is over, to release their files. */
  abandoned: Collection<Task>[];
}
type Model = Map<string, Task>;

const STATUSES = ['pending', 'in_progress', 'completed', 'blocked'] as const;
const RUNS = Number(process.env.VELLUM_MODEL_RUNS ?? 1000);

async function open(root: string): Promise<Collection<Task>> {
  // No background flush during a run: the model decides when files are written.
  return openTasks(root, { flushDelayMs: 3_600_000 }, false);
}

async function check(model: Model, real: Real): Promise<void> {
  const page = await real.tasks.query({ limit: 1000 });
  expect(page.items).toEqual([...model.keys()].sort().map((id) => model.get(id)));
  for (const status of STATUSES) {
    const expected = [...model.values()]
      .filter((t) => t.status === status)
      .map((t) => t.id)
      .sort();
    expect(
      (await real.tasks.query({ where: { status }, limit: 1000, fields: ['id'] })).items.map(
        (t) => t.id,
      ),
    ).toEqual(expected);
  }
}

const idOf = (n: number): string => task(n).id;

class Put implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly n: number,
    readonly status: Task['status'],
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const doc = task(this.n, { status: this.status });
    await real.tasks.put(doc);
    model.set(doc.id, doc);
    await check(model, real);
  }
  toString = (): string => `put(${this.n}, ${this.status})`;
}

class Patch implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly n: number,
    readonly status: Task['status'],
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const id = idOf(this.n);
    const current = model.get(id);
    if (current === undefined) {
      await expect(real.tasks.patch(id, { status: this.status })).rejects.toBeInstanceOf(
        NotFoundError,
      );
    } else {
      await real.tasks.patch(id, { status: this.status });
      model.set(id, { ...current, status: this.status });
    }
    await check(model, real);
  }
  toString = (): string => `patch(${this.n}, ${this.status})`;
}

class Delete implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const id = idOf(this.n);
    if (model.has(id)) {
      await real.tasks.delete(id);
      model.delete(id);
    } else {
      await expect(real.tasks.delete(id)).rejects.toBeInstanceOf(NotFoundError);
    }
    await check(model, real);
  }
  toString = (): string => `delete(${this.n})`;
}

class Batch implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly puts: readonly number[],
    readonly deletes: readonly number[],
    readonly poison: boolean,
  ) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const deletable = this.deletes.filter(
      (n) => model.has(idOf(n)) && !this.puts.some((p) => idOf(p) === idOf(n)),
    );
    const puts = this.puts.map((n) => task(n, { status: 'in_progress' }));
    const deletes = [...new Set(deletable.map(idOf))];
    const ops: BatchOp[] = [
      ...puts.map((doc) => ({ type: 'put' as const, doc })),
      ...deletes.map((id) => ({ type: 'delete' as const, id })),
      ...(this.poison ? [{ type: 'put' as const, doc: { ...task(0), priority: 'none' } }] : []),
    ];
    if (this.poison) {
      await expect(real.tasks.batch(ops)).rejects.toBeInstanceOf(ValidationError);
    } else {
      await real.tasks.batch(ops);
      for (const doc of puts) model.set(doc.id, doc);
      for (const id of deletes) model.delete(id);
    }
    await check(model, real);
  }
  toString = (): string =>
    `batch(puts ${this.puts.join(',')}; deletes ${this.deletes.join(',')}${this.poison ? '; poisoned' : ''})`;
}

class Flush implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.tasks.flush();
    await check(model, real);
  }
  toString = (): string => 'flush';
}

class Reopen implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    await real.tasks.close();
    real.tasks = await open(real.root);
    await check(model, real);
  }
  toString = (): string => 'reopen';
}

class Crash implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    // The old instance is abandoned without close(), as a killed process would be.
    real.abandoned.push(real.tasks);
    real.tasks = await open(real.root);
    await check(model, real);
  }
  toString = (): string => 'crash';
}

describe('Collection against an in-memory model', () => {
  it(
    `agrees with the model over ${RUNS} random histories (put, patch, delete, batch, flush, reopen, crash)`,
    async () => {
      const n = fc.integer({ min: 0, max: 12 });
      const status = fc.constantFrom(...STATUSES);
      const commands = [
        fc.tuple(n, status).map(([i, s]) => new Put(i, s)),
        fc.tuple(n, status).map(([i, s]) => new Patch(i, s)),
        n.map((i) => new Delete(i)),
        fc
          .tuple(fc.array(n, { maxLength: 4 }), fc.array(n, { maxLength: 3 }), fc.boolean())
          .map(([p, d, poison]) => new Batch(p, d, poison)),
        fc.constant(new Flush()),
        fc.constant(new Reopen()),
        fc.constant(new Crash()),
      ];
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: 12 }), (cmds) =>
          withTempDir(async (root) => {
            const real: Real = { root, tasks: await open(root), abandoned: [] };
            try {
              await fc.asyncModelRun(() => ({ model: new Map(), real }), cmds);
            } finally {
              await real.tasks.close().catch(() => undefined);
              for (const old of real.abandoned) await old.close().catch(() => undefined);
            }
          }, 'vellum-model-'),
        ),
        { numRuns: RUNS },
      );
    },
    Math.max(600_000, RUNS * 600),
  );
});
