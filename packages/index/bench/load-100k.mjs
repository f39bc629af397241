// Micro-benchmark, not a test: how long building, saving and loading indexes
// over 100k documents takes, and a fresh process's time to its first indexed
// query. Run after a build: node bench/load-100k.mjs [documents]
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FullTextIndex, SecondaryIndex } from '@vellum/index';

const COUNT = Number(process.argv[2] ?? 100_000);
const RUNS = 5;
const STATUSES = ['pending', 'in_progress', 'completed', 'blocked'];
const WORDS = ['user', 'login', 'export', 'report', 'cache', 'sync', 'crash', 'slow', 'button'];

// A fixed pseudo-random sequence, so every run indexes the same documents.
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const pick = (list) => list[Math.floor(random() * list.length)];

const docs = new Map();
for (let i = 0; i < COUNT; i++) {
  const id = `TASK-${String(Math.floor(i / 1000)).padStart(3, '0')}-${String(i % 1000).padStart(3, '0')}`;
  docs.set(id, {
    status: pick(STATUSES),
    metadata: {
      story_id: `STORY-${String(Math.floor(random() * 1000)).padStart(4, '0')}`,
      line_number: i,
    },
    content: Array.from({ length: 6 }, () => pick(WORDS)).join(' ') + ` item ${i}`,
  });
}

const definitions = {
  'by-status': { name: 'by-status', key: (task) => task.status },
  'by-story': { name: 'by-story', key: (task) => task.metadata.story_id },
};

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value) => `${value.toFixed(1)} ms`;

function time(fn) {
  const samples = [];
  let result;
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    result = fn();
    samples.push(performance.now() - start);
  }
  return { ms: median(samples), result };
}

async function timeAsync(fn) {
  const samples = [];
  let result;
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    result = await fn();
    samples.push(performance.now() - start);
  }
  return { ms: median(samples), result };
}

const dir = await mkdtemp(join(tmpdir(), 'vellum-index-bench-'));
try {
  console.log(`${COUNT} documents, median of ${RUNS} runs, Node ${process.version}\n`);
  for (const [file, options] of Object.entries(definitions)) {
    const rebuild = time(() => {
      const index = new SecondaryIndex(options);
      index.rebuild(docs);
      return index;
    });
    const incremental = time(() => {
      const index = new SecondaryIndex(options);
      for (const [id, doc] of docs) index.add(id, doc);
      return index;
    });
    const path = join(dir, `${file}.json`);
    const save = await timeAsync(() => rebuild.result.save(path));
    const load = await timeAsync(() => SecondaryIndex.load(path, options));
    const firstRange = await timeAsync(async () => {
      const fresh = await SecondaryIndex.load(path, options);
      return fresh.range({ gte: 'b', lt: 'p' }).length;
    });
    const { size } = await stat(path);
    console.log(
      `${file}: ${rebuild.result.size} keys, file ${(size / 1e6).toFixed(2)} MB\n` +
        `  rebuild from docs ${ms(rebuild.ms)} | add one by one ${ms(incremental.ms)}\n` +
        `  save ${ms(save.ms)} | load ${ms(load.ms)} | ` +
        `load + first range query (sorts keys) ${ms(firstRange.ms)}`,
    );
  }

  // A range over 100k distinct keys: the first one sorts the keys, later ones reuse them.
  const lineOptions = { name: 'by-line', key: (task) => task.metadata.line_number };
  const lines = new SecondaryIndex(lineOptions);
  lines.rebuild(docs);
  const half = { gte: COUNT / 4, lt: (COUNT * 3) / 4 };
  const linesPath = join(dir, 'by-line.json');
  await lines.save(linesPath);
  const linesLoad = await timeAsync(() => SecondaryIndex.load(linesPath, lineOptions));
  const firstRange = await timeAsync(async () => {
    const fresh = await SecondaryIndex.load(linesPath, lineOptions);
    return fresh.range(half).length;
  });
  lines.range(half);
  const nextRange = time(() => lines.range(half).length);
  const writeThenRange = time(() => {
    lines.add('TASK-NEW', { metadata: { line_number: COUNT / 2 + 0.5 } });
    lines.remove('TASK-NEW', { metadata: { line_number: COUNT / 2 + 0.5 } });
    return lines.range(half).length;
  });
  console.log(
    `by-line (${lines.size} distinct number keys), range selecting ${nextRange.result} ids:\n` +
      `  load ${ms(linesLoad.ms)} | load + first range (sorts keys) ${ms(firstRange.ms)} | ` +
      `next range ${ms(nextRange.ms)} | ` +
      `add + remove a new key, then range ${ms(writeThenRange.ms)}`,
  );

  // A fresh process: import, load both indexes, answer one query. Measured
  // from the parent (spawn to exit) and inside the child (from process start).
  const child = `
    const started = performance.now();
    const { SecondaryIndex } = await import('@vellum/index');
    const imported = performance.now();
    const status = await SecondaryIndex.load(${JSON.stringify(join(dir, 'by-status.json'))},
      { name: 'by-status', key: (t) => t.status });
    const story = await SecondaryIndex.load(${JSON.stringify(join(dir, 'by-story.json'))},
      { name: 'by-story', key: (t) => t.metadata.story_id });
    const loaded = performance.now();
    const ids = status.get('blocked');
    const both = story.get('STORY-0042').filter((id) => ids.includes(id));
    const done = performance.now();
    process.stdout.write(JSON.stringify({
      boot: started, importing: imported - started, loading: loaded - imported,
      query: done - loaded, inside: done, hits: ids.length + both.length,
    }));
  `;
  const cwd = fileURLToPath(new URL('..', import.meta.url));
  const spawns = [];
  const phases = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', child], { cwd });
    spawns.push(performance.now() - start);
    phases.push(JSON.parse(String(out)));
  }
  const phase = (name) => ms(median(phases.map((p) => p[name])));
  console.log(
    `\nfresh process, load by-status + by-story, first query: ${ms(median(spawns))} spawn to exit\n` +
      `  inside the child: node boot ${phase('boot')} | import @vellum/index ${phase('importing')} | ` +
      `load both ${phase('loading')} | first query ${phase('query')} | total ${phase('inside')}`,
  );

  const fields = { fields: ['content'] };
  const entries = [...docs].map(([id, doc]) => ({ id, kind: 'tasks', doc }));
  const build = time(() => {
    const index = new FullTextIndex(fields);
    index.rebuild(entries);
    return index;
  });
  const path = join(dir, 'search_index.json');
  const save = await timeAsync(() => build.result.save(path));
  const load = await timeAsync(() => FullTextIndex.load(path, fields));
  const search = time(() => load.result.search('crash login', { limit: 10 }).length);
  const prefix = time(() => load.result.search('expo', { prefix: true, limit: 10 }).length);
  const { size } = await stat(path);
  console.log(
    `\nfull-text, ${build.result.documentCount} documents, ${build.result.termCount} terms, ` +
      `file ${(size / 1e6).toFixed(2)} MB\n` +
      `  build ${ms(build.ms)} | save ${ms(save.ms)} | load ${ms(load.ms)} | ` +
      `search ${ms(search.ms)} | prefix search ${ms(prefix.ms)}`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
