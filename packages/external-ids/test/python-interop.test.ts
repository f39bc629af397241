/**
 * Spec 003's own Python tool and this package on one state directory: each
 * takes `<file>.json.lock` with a kernel lock, so neither hands out an id the
 * other did, and no mapping is lost.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, startChild } from './helpers/children.js';
import { freshMapper } from './helpers/setup.js';

interface Done {
  results: [string, string][];
}

/** `python3 test/children/py-mapper.py`, with the same ready / go / done protocol as map-many.mjs. */
function pythonMapper(
  dir: string,
  prefix: string,
  count: number,
): { ready: Promise<void>; go(): void; done: Promise<Done> } {
  const script = fileURLToPath(new URL('./children/py-mapper.py', import.meta.url));
  const child = spawn('python3', [script, dir, prefix, String(count)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout });
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  let done: Done | undefined;
  lines.on('line', (line) => {
    if (line === 'ready') markReady();
    else if (line.startsWith('{')) done = JSON.parse(line) as Done;
  });
  const finished = new Promise<Done>((resolve, reject) => {
    child.on('close', (code) => {
      if (code === 0 && done !== undefined) resolve(done);
      else reject(new Error(`py-mapper.py exited with ${String(code)}:\n${stderr}`));
    });
  });
  return { ready, go: () => child.stdin.write('go\n'), done: finished };
}

beforeAll(() => {
  assertBuilt();
});

describe('beside spec 003’s Python tool', () => {
  it('2 Python + 2 Vellum processes allocating GitHub ids: no id handed out twice, no mapping lost', async () => {
    const { dir } = await freshMapper();
    // The Python tool creates its lock files, not the directory.
    await mkdir(dir, { recursive: true });
    const perProcess = 40;
    const pythons = ['PY0', 'PY1'].map((prefix) => pythonMapper(dir, prefix, perProcess));
    const nodes = ['JS0', 'JS1'].map((prefix) =>
      startChild('map-many.mjs', [dir, 'github', '-', prefix, String(perProcess), '2']),
    );
    await Promise.all([
      ...pythons.map((python) => python.ready),
      ...nodes.map((node) => node.waitForLine((line) => line === 'ready')),
    ]);
    for (const python of pythons) python.go();
    for (const node of nodes) node.send('go');
    const results = (
      await Promise.all([
        ...pythons.map(async (python) => (await python.done).results),
        ...nodes.map(async (node) => {
          const done = await node.waitForEvent<Done>('done');
          await node.succeeded();
          return done.results;
        }),
      ])
    ).flat();

    expect(results).toHaveLength(4 * perProcess);
    const ids = results.map(([, id]) => id);
    expect(new Set(ids).size, 'an id was handed out twice').toBe(ids.length);
    const file = JSON.parse(await readFile(join(dir, 'external_id_mapping.json'), 'utf8')) as {
      mappings: Record<string, { github: string }>;
    };
    const kept = Object.fromEntries(
      Object.entries(file.mappings).map(([task, ids]) => [task, ids.github]),
    );
    expect(kept, 'a mapping was lost or changed').toEqual(Object.fromEntries(results));
    const counters = JSON.parse(await readFile(join(dir, 'external_id_counters.json'), 'utf8')) as {
      counters: { github: number };
    };
    expect(counters.counters.github).toBe(Math.max(...ids.map(Number)));
  }, 120_000);
});
