/**
 * The guarantee spec 003's tool lacked: several processes share the files and
 * never hand out the same id. Real child processes, released together.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LockTimeoutError, writeJsonAtomic } from '@vellum/atomic-io';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExternalIdMapper } from '../src/index.js';
import { assertBuilt, startChild } from './helpers/children.js';
import { freshMapper, snapshot } from './helpers/setup.js';

interface Done {
  results: [string, string][];
}

/** Starts `processes` map-many children, releases them together, returns all their results. */
async function runMappers(
  dir: string,
  processes: number,
  args: (index: number) => string[],
): Promise<{ results: [string, string][]; perChild: [string, string][][] }> {
  const children = Array.from({ length: processes }, (_, index) =>
    startChild('map-many.mjs', [dir, ...args(index)]),
  );
  await Promise.all(children.map((child) => child.waitForLine((line) => line === 'ready')));
  for (const child of children) child.send('go');
  const perChild = await Promise.all(
    children.map(async (child) => {
      const done = await child.waitForEvent<Done>('done');
      await child.succeeded();
      return done.results;
    }),
  );
  return { results: perChild.flat(), perChild };
}

beforeAll(() => {
  assertBuilt();
});

describe('several processes', () => {
  it('8 processes x 100 mapToExternal for distinct tasks: 800 distinct, gap-free ids', async () => {
    const { dir } = await freshMapper();
    const started = Date.now();
    const { results, perChild } = await runMappers(dir, 8, (index) => [
      'jira',
      'PROJ',
      `P${index}`,
      '100',
      '4',
    ]);
    const elapsedMs = Date.now() - started;
    expect(perChild.map((list) => list.length)).toEqual(Array<number>(8).fill(100));
    const ids = results.map(([, id]) => id);
    const numbers = ids.map((id) => Number(/^PROJ-(\d+)$/.exec(id)?.[1])).sort((a, b) => a - b);
    const distinct = new Set(ids).size;
    const gaps = numbers.filter((number, i) => number !== i + 1).length;
    expect(distinct).toBe(800);
    expect(numbers).toEqual(Array.from({ length: 800 }, (_, i) => i + 1));

    // The file holds all 800, exactly as the processes were told.
    const doc = JSON.parse(await readFile(join(dir, 'external_id_mapping.json'), 'utf8')) as {
      mappings: Record<string, { jira: string }>;
    };
    expect(Object.keys(doc.mappings)).toHaveLength(800);
    for (const [internalId, externalId] of results) {
      expect(doc.mappings[internalId]).toEqual({ jira: externalId });
    }
    const mapper = new ExternalIdMapper({ stateDir: dir });
    expect(await mapper.getCounters()).toMatchObject({ jira: { PROJ: 800 } });
    expect(await mapper.getInternal('jira', 'PROJ-800')).toBeDefined();
    // Quoted in the package README.
    console.info(
      `[external-ids] 8 processes x 100 mapToExternal: ${ids.length} ids, ${distinct} distinct, ` +
        `PROJ-${numbers[0]}..PROJ-${numbers[numbers.length - 1]}, ${gaps} gaps, ` +
        `${ids.length - distinct} duplicates, mapping file holds ${Object.keys(doc.mappings).length}, ${elapsedMs} ms`,
    );
  });

  it('4 processes mapping the same 50 tasks agree on one id per task', async () => {
    const { dir } = await freshMapper();
    const { results, perChild } = await runMappers(dir, 4, () => [
      'github',
      '-',
      'SHARED',
      '50',
      '3',
    ]);
    expect(results).toHaveLength(200);
    const byTask = new Map<string, Set<string>>();
    for (const [task, id] of results) byTask.set(task, (byTask.get(task) ?? new Set()).add(id));
    expect(byTask.size).toBe(50);
    for (const ids of byTask.values()) expect(ids.size).toBe(1);
    const allocated = [...byTask.values()].map((ids) => Number([...ids][0])).sort((a, b) => a - b);
    expect(allocated).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const first = new Map(perChild[0]);
    for (const list of perChild) for (const [task, id] of list) expect(first.get(task)).toBe(id);
  });

  it('a lock held by another process blocks writes until released', async () => {
    const { dir, mapper } = await freshMapper();
    await mapper.mapToExternal('T0', 'jira');
    const holder = startChild('hold-lock.mjs', [dir]);
    const locked = await holder.waitForEvent<{ pid: number }>('locked');
    expect(locked.pid).toBe(holder.pid);

    // A short timeout fails, naming the holder, and writes nothing.
    const before = await snapshot(dir);
    const impatient = new ExternalIdMapper({ stateDir: dir, lockTimeout: 200 });
    const error = await impatient.mapToExternal('T1', 'jira').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockTimeoutError);
    expect((error as LockTimeoutError).holder?.pid).toBe(holder.pid);
    expect(await snapshot(dir)).toEqual(before);

    // A patient caller waits; meanwhile "the holder's process" allocates PROJ-2.
    const pending = mapper.mapToExternal('T1', 'jira');
    await writeJsonAtomic(join(dir, 'external_id_counters.json'), {
      version: '1.0',
      updated: 'x',
      counters: { jira: { PROJ: 2 } },
    });
    await writeJsonAtomic(join(dir, 'external_id_mapping.json'), {
      version: '1.0',
      updated: 'x',
      mappings: { T0: { jira: 'PROJ-1' }, OTHER: { jira: 'PROJ-2' } },
    });
    holder.send('release');
    await holder.waitForEvent('released');
    await holder.succeeded();
    expect(await pending).toBe('PROJ-3');
  });

  it('SIGKILLed writers: every acknowledged id survives, none is handed out twice', async () => {
    const { dir } = await freshMapper();
    const acked = new Map<string, string>();
    let kills = 0;
    for (let cycle = 0; cycle < 4; cycle++) {
      const children = [0, 1].map((c) =>
        startChild('map-many.mjs', [dir, 'jira', 'PROJ', `K${cycle}-${c}`, '1000', '2', '2000']),
      );
      await Promise.all(children.map((child) => child.waitForLine((line) => line === 'ready')));
      for (const child of children) child.send('go');
      await Promise.all(
        children.map(async (child) => {
          // Killed after a random number of acknowledgements: mid-way through the next call.
          const after = 1 + Math.floor(Math.random() * 15);
          let seen = 0;
          await child.waitForLine((line) => line.startsWith('ack ') && ++seen >= after);
          child.kill('SIGKILL');
          await child.exited;
          kills++;
          for (const line of child.lines) {
            const [, internalId, externalId] = line.split(' ');
            if (line.startsWith('ack ') && internalId !== undefined && externalId !== undefined) {
              acked.set(internalId, externalId);
            }
          }
        }),
      );
      // What a process starting now finds: every acknowledged mapping, no id twice.
      const mapper = new ExternalIdMapper({ stateDir: dir, lockStale: 2000 });
      const listed = await mapper.list();
      const byTask = new Map(listed.map((entry) => [entry.internalId, entry.ids.jira]));
      for (const [internalId, externalId] of acked) expect(byTask.get(internalId)).toBe(externalId);
      const ids = listed.map((entry) => entry.ids.jira);
      expect(new Set(ids).size).toBe(ids.length);
      const highest = Math.max(...ids.map((id) => Number(id?.slice(5))));
      expect((await mapper.getCounters()).jira.PROJ).toBeGreaterThanOrEqual(highest);
      // And it can continue: the next id is new.
      const next = await mapper.mapToExternal(`AFTER-${cycle}`, 'jira');
      expect(ids).not.toContain(next);
      acked.set(`AFTER-${cycle}`, next);
    }
    expect(kills).toBe(8);
    expect(acked.size).toBeGreaterThanOrEqual(8);
    const final = (await new ExternalIdMapper({ stateDir: dir }).list()).map((entry) =>
      Number(entry.ids.jira?.slice(5)),
    );
    const highest = Math.max(...final);
    console.info(
      `[external-ids] ${kills} SIGKILLs: ${acked.size} acknowledged ids all present, ` +
        `${final.length} mapped, ${new Set(final).size} distinct, ${highest - final.length} gaps (allowed after a crash)`,
    );
  });
});
