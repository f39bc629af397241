import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runNode, type RunOptions, type RunResult } from '@vellum/test-utils';
import { describe, expect, it } from 'vitest';
import { freshDir, open } from './helpers.js';

const worker = join(import.meta.dirname, 'children', 'worker.mjs');

function run(args: string[], options: RunOptions = {}): Promise<RunResult> {
  return runNode(worker, args, options);
}

describe('tasks shared by processes', () => {
  it('8 processes creating tasks for one story end with unique ids and exactly consistent indexes', async () => {
    const root = await freshDir();
    const results = await Promise.all(Array.from({ length: 8 }, () => run(['create', root, '10'])));
    expect(
      results.map((r) => r.code),
      results.map((r) => r.stderr).join('\n'),
    ).toEqual(Array(8).fill(0));
    const ids = results.flatMap((r) => r.lines.filter((l) => l.startsWith('TASK-')));
    expect(ids).toHaveLength(80);
    expect(new Set(ids).size).toBe(80);
    expect([...ids].sort()).toEqual(
      Array.from({ length: 80 }, (_, i) => `TASK-001-${String(i + 1).padStart(3, '0')}`),
    );
    const store = await open(root);
    await store.flush();
    const files = await readdir(join(root, 'tasks/active'));
    expect(files.sort()).toEqual([...ids].sort().map((id) => `${id}.json`));
    const byStatus = JSON.parse(
      await readFile(join(root, 'tasks/index/by-status.json'), 'utf8'),
    ) as Record<string, string[]>;
    expect(byStatus).toEqual({ pending: [...ids].sort() });
    const byPersona = JSON.parse(
      await readFile(join(root, 'tasks/index/by-persona.json'), 'utf8'),
    ) as Record<string, string[]>;
    expect(Object.values(byPersona).flat().sort()).toEqual([...ids].sort());
    const tasks = await store.tasks.collection();
    expect(Object.values(await tasks.verifyIndexes()).every((r) => r.ok)).toBe(true);
  });

  it('a batch killed halfway leaves no partial update', async () => {
    const root = await freshDir();
    const setup = await open(root);
    for (let k = 0; k < 10; k++)
      await setup.tasks.create({
        id: `TASK-005-${String(k + 1).padStart(3, '0')}`,
        content: `task ${k}`,
      });
    await setup.close();
    for (let attempt = 0; attempt < 6; attempt++) {
      const killAt = 1 + Math.floor(Math.random() * 15);
      let acked = 0;
      await run(['batch', root], {
        onLine: (line, child) => {
          if (line.startsWith('ack ') && ++acked === killAt) child.kill();
        },
      });
      const store = await open(root);
      const rounds = new Set(
        (await store.tasks.list({ limit: 100 })).items.map((t) => t.metadata.line_number ?? 0),
      );
      // All ten tasks carry the same round: no batch was applied to only some of them.
      expect(rounds.size).toBe(1);
      expect([...rounds][0]).toBeGreaterThanOrEqual(killAt);
      await store.close();
    }
  });
});
