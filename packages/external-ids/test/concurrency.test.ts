/** Spec 003's concurrent-access tests within one process, and a model-based check. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExternalIdMapper, MappingConflictError, type ExternalTool } from '../src/index.js';
import { freshMapper, readJsonFile, tempDir } from './helpers/setup.js';

describe('concurrent access in one process', () => {
  it('10 simultaneous writes from 10 instances: distinct ids, no corruption', async () => {
    const { dir } = await freshMapper();
    const mappers = Array.from({ length: 10 }, () => new ExternalIdMapper({ stateDir: dir }));
    const ids = await Promise.all(
      mappers.map((mapper, i) => mapper.mapToExternal(`T${i}`, 'jira')),
    );
    expect([...ids].sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))).toEqual(
      Array.from({ length: 10 }, (_, i) => `PROJ-${i + 1}`),
    );
    const doc = (await readJsonFile(join(dir, 'external_id_mapping.json'))) as {
      mappings: Record<string, { jira: string }>;
    };
    expect(Object.fromEntries(Object.entries(doc.mappings).map(([k, v]) => [k, v.jira]))).toEqual(
      Object.fromEntries(ids.map((id, i) => [`T${i}`, id])),
    );
    expect(
      JSON.parse(await readFile(join(dir, 'external_id_mapping.json.bak'), 'utf8')),
    ).toBeTruthy();
  });

  it('reads during writes always see a consistent, growing state', async () => {
    const { dir } = await freshMapper();
    const writers = Array.from({ length: 4 }, () => new ExternalIdMapper({ stateDir: dir }));
    const reader = new ExternalIdMapper({ stateDir: dir });
    let done = false;
    const observed: number[] = [];
    const reading = (async () => {
      while (!done) {
        const entries = await reader.list();
        observed.push(entries.length);
        for (const entry of entries) {
          expect(await reader.getInternal('github', entry.ids.github ?? '')).toBe(entry.internalId);
        }
      }
    })();
    await Promise.all(
      writers.map(async (writer, w) => {
        for (let i = 0; i < 10; i++) await writer.mapToExternal(`W${w}-${i}`, 'github');
      }),
    );
    done = true;
    await reading;
    expect(observed.length).toBeGreaterThan(1);
    for (let i = 1; i < observed.length; i++) {
      expect(observed[i]).toBeGreaterThanOrEqual(observed[i - 1] as number);
    }
    expect((await reader.list()).length).toBe(40);
  });

  it('the same task mapped by 20 concurrent callers gets one id', async () => {
    const { dir } = await freshMapper();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        new ExternalIdMapper({ stateDir: dir }).mapToExternal(
          'SAME',
          i % 2 === 0 ? 'jira' : 'linear',
        ),
      ),
    );
    expect(new Set(results)).toEqual(new Set(['PROJ-1']));
    expect(await new ExternalIdMapper({ stateDir: dir }).getCounters()).toMatchObject({
      jira: { PROJ: 1 },
      linear: { PROJ: 1 },
    });
  });
});

type Command =
  | { kind: 'map'; who: number; task: string; tool: ExternalTool; key: string | undefined }
  | { kind: 'record'; who: number; task: string; tool: ExternalTool; id: string; replace: boolean }
  | { kind: 'unmap'; who: number; task: string; tool: ExternalTool | undefined }
  | { kind: 'lookup'; who: number; tool: ExternalTool; id: string };

const task = fc.constantFrom('A', 'B', 'C', 'D');
const who = fc.integer({ min: 0, max: 1 });
const keyed = fc.constantFrom<ExternalTool>('jira', 'linear');
const numbered = fc.constantFrom<ExternalTool>('github', 'azure_devops');
const key = fc.constantFrom('PROJ', 'TEAM');
const n = fc.integer({ min: 1, max: 6 });

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    kind: fc.constant('map' as const),
    who,
    task,
    tool: keyed,
    key: fc.option(key, { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('map' as const),
    who,
    task,
    tool: numbered,
    key: fc.constant(undefined),
  }),
  fc
    .record({ who, task, tool: keyed, key, n, replace: fc.boolean() })
    .map(({ key: k, n: num, ...rest }) => ({
      ...rest,
      kind: 'record' as const,
      id: `${k}-${num}`,
    })),
  fc
    .record({ who, task, tool: numbered, n, replace: fc.boolean() })
    .map(({ n: num, ...rest }) => ({ ...rest, kind: 'record' as const, id: String(num) })),
  fc.record({
    kind: fc.constant('unmap' as const),
    who,
    task,
    tool: fc.option(fc.constantFrom<ExternalTool>('jira', 'github'), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('lookup' as const),
    who,
    tool: fc.constantFrom<ExternalTool>('jira', 'github'),
    id: fc.constantFrom('PROJ-1', 'PROJ-2', '1', '2'),
  }),
);

/** The expected behaviour, in memory. */
class Model {
  readonly tasks = new Map<string, Map<ExternalTool, string>>();
  readonly counters = new Map<string, number>();

  owner(tool: ExternalTool, id: string): string | undefined {
    for (const [name, ids] of this.tasks) if (ids.get(tool) === id) return name;
    return undefined;
  }

  slot(tool: ExternalTool, id: string): { slot: string; number: number } {
    const dash = id.lastIndexOf('-');
    return dash < 0
      ? { slot: tool, number: Number(id) }
      : { slot: `${tool}:${id.slice(0, dash)}`, number: Number(id.slice(dash + 1)) };
  }

  set(taskName: string, tool: ExternalTool, id: string): void {
    const ids = this.tasks.get(taskName) ?? new Map<ExternalTool, string>();
    ids.set(tool, id);
    this.tasks.set(taskName, ids);
    const { slot, number } = this.slot(tool, id);
    this.counters.set(slot, Math.max(this.counters.get(slot) ?? 0, number));
  }

  run(cmd: Command): unknown {
    switch (cmd.kind) {
      case 'map': {
        const existing = this.tasks.get(cmd.task)?.get(cmd.tool);
        if (existing !== undefined) return existing;
        const slotKey =
          cmd.tool === 'jira' || cmd.tool === 'linear' ? (cmd.key ?? 'PROJ') : undefined;
        const slot = slotKey === undefined ? cmd.tool : `${cmd.tool}:${slotKey}`;
        const next = (this.counters.get(slot) ?? 0) + 1;
        const id = slotKey === undefined ? String(next) : `${slotKey}-${next}`;
        this.set(cmd.task, cmd.tool, id);
        return id;
      }
      case 'record': {
        const current = this.tasks.get(cmd.task)?.get(cmd.tool);
        if (current === cmd.id) return undefined;
        if (this.owner(cmd.tool, cmd.id) !== undefined) return 'conflict';
        if (current !== undefined && !cmd.replace) return 'conflict';
        this.set(cmd.task, cmd.tool, cmd.id);
        return undefined;
      }
      case 'unmap': {
        const ids = this.tasks.get(cmd.task);
        if (ids === undefined || (cmd.tool !== undefined && !ids.has(cmd.tool))) return false;
        if (cmd.tool === undefined) ids.clear();
        else ids.delete(cmd.tool);
        if (ids.size === 0) this.tasks.delete(cmd.task);
        return true;
      }
      case 'lookup':
        return this.owner(cmd.tool, cmd.id);
    }
  }
}

async function runReal(mapper: ExternalIdMapper, cmd: Command): Promise<unknown> {
  try {
    switch (cmd.kind) {
      case 'map':
        return await mapper.mapToExternal(cmd.task, cmd.tool, cmd.key);
      case 'record':
        return await mapper.recordExternal(cmd.task, cmd.tool, cmd.id, { replace: cmd.replace });
      case 'unmap':
        return await mapper.unmap(cmd.task, cmd.tool);
      case 'lookup':
        return await mapper.getInternal(cmd.tool, cmd.id);
    }
  } catch (error) {
    if (error instanceof MappingConflictError) return 'conflict';
    throw error;
  }
}

describe('model-based', () => {
  it('two instances on one directory behave like one in-memory map', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
        const dir = join(await tempDir(), 'state');
        const mappers = [
          new ExternalIdMapper({ stateDir: dir }),
          new ExternalIdMapper({ stateDir: dir }),
        ];
        const model = new Model();
        for (const cmd of commands) {
          expect(await runReal(mappers[cmd.who] as ExternalIdMapper, cmd)).toEqual(model.run(cmd));
        }
        const expected = [...model.tasks]
          .map(([internalId, ids]) => ({ internalId, ids: Object.fromEntries(ids) }))
          .sort((a, b) => a.internalId.localeCompare(b.internalId));
        for (const mapper of mappers) {
          const listed = await mapper.list();
          expect(listed).toHaveLength(expected.length);
          for (const [i, entry] of listed.entries()) {
            expect(entry.internalId).toBe(expected[i]?.internalId);
            expect(entry.ids).toEqual(expected[i]?.ids);
          }
        }
      }),
      { numRuns: 30 },
    );
  });
});
