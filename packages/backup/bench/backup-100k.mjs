// Benchmark, not a test: backup create, verify and restore of a 100k-document
// store, against `tar -cf` of the same folder as the ceiling (issue target:
// create <= 1.5x tar). Run after a build:
//
//   node bench/backup-100k.mjs [--docs 100000] [--layout array|jsonl|per-document] [--runs 5]
//
// The store is one collection materialized as one JSON array file (spec 002's
// tickets.json) by default, so that the figure measures backup work rather than
// creating 100k inodes; `--layout per-document` measures one file per document
// (use fewer documents: every copied file is one more inode and fsync).
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  Collection,
  arrayFileLayout,
  jsonlFileLayout,
  perDocumentLayout,
} from '@vellum/collection';
import { createBackup, restoreBackup, verifyBackup } from '@vellum/backup';

const { values } = parseArgs({
  options: {
    docs: { type: 'string', default: '100000' },
    layout: { type: 'string', default: 'array' },
    runs: { type: 'string', default: '5' },
  },
});
const COUNT = Number(values.docs);
const RUNS = Number(values.runs);
const LAYOUT = values.layout;

const STATUSES = ['open', 'in_progress', 'review', 'closed'];
const WORDS = ['login', 'export', 'report', 'cache', 'sync', 'crash', 'slow', 'button', 'error'];
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const pick = (list) => list[Math.floor(random() * list.length)];

/** Accepts any object: validation is not what is measured. */
const anything = {
  '~standard': { version: 1, vendor: 'bench', validate: (value) => ({ value }) },
};

function layout() {
  if (LAYOUT === 'array') return arrayFileLayout({ file: 'tickets.json' });
  if (LAYOUT === 'jsonl') return jsonlFileLayout({ file: 'tickets.jsonl', idOf: (t) => t.id });
  if (LAYOUT === 'per-document')
    return perDocumentLayout({ dir: 'tickets', pathOf: (t, id) => `${t.status}/${id}.json` });
  throw new Error(`unknown layout ${LAYOUT}`);
}

function ticket(i) {
  return {
    id: `TICKET-${String(i).padStart(6, '0')}`,
    title: Array.from({ length: 5 }, () => pick(WORDS)).join(' '),
    status: pick(STATUSES),
    priority: 1 + Math.floor(random() * 4),
    assignee: `user_${Math.floor(random() * 50)}`,
    description: Array.from({ length: 16 }, () => pick(WORDS)).join(' '),
    tags: [pick(WORDS), pick(WORDS)],
    created_at: new Date(1_790_000_000_000 + i * 60_000).toISOString(),
  };
}

async function openStore(root) {
  return Collection.open({
    root,
    name: 'tickets',
    schema: anything,
    layout: layout(),
    indexes: { status: { key: (t) => t.status, file: 'index/by-status.json' } },
    flushDelayMs: 3_600_000,
  });
}

async function duSize(dir) {
  let bytes = 0;
  let files = 0;
  const walk = async (current) => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else {
        bytes += (await stat(path)).size;
        files++;
      }
    }
  };
  await walk(dir);
  return { bytes, files };
}

async function fsyncFile(path) {
  const handle = await open(path, 'r');
  await handle.sync();
  await handle.close();
}

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
const ms = (value) => `${value.toFixed(0)} ms`;

const dir = await mkdtemp(join(tmpdir(), 'vellum-backup-bench-'));
const root = join(dir, 'store');
const backupDir = join(dir, 'backups');
try {
  // Build: a batch of puts per transaction (one journal append each), then a checkpoint.
  let started = performance.now();
  let store = await openStore(root);
  for (let i = 0; i < COUNT; i += 1000) {
    const ops = [];
    for (let k = i; k < Math.min(COUNT, i + 1000); k++) ops.push({ type: 'put', doc: ticket(k) });
    await store.batch(ops);
  }
  await store.checkpoint();
  const built = performance.now() - started;
  const size = await duSize(root);
  console.log(
    `store: ${COUNT} documents, layout ${LAYOUT}: ${size.files} files, ${(size.bytes / 1e6).toFixed(1)} MB (built in ${ms(built)})`,
  );
  console.log(
    `machine: ${(await import('node:os')).cpus().length} CPUs, load ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );

  const times = {
    tar: [],
    tarSync: [],
    checkpoint: [],
    create: [],
    verify: [],
    restore: [],
    createAfterWrites: [],
    createNoCheckpoint: [],
  };
  /** 1,000 updates since the last checkpoint: what a backup of a busy store finds. */
  const touch = async (run) => {
    const ops = [];
    for (let k = 0; k < 1000; k++) {
      const doc = ticket(Math.floor(random() * COUNT));
      ops.push({ type: 'put', doc: { ...doc, title: `${doc.title} ${run}` } });
    }
    await store.batch(ops);
  };
  for (let run = 0; run < RUNS; run++) {
    // The ceiling: tar of the same folder (page cache warm, as for the backup).
    const archive = join(dir, 'store.tar');
    started = performance.now();
    execFileSync('tar', ['-cf', archive, '-C', root, '.']);
    times.tar.push(performance.now() - started);
    await fsyncFile(archive);
    await rm(archive);
    started = performance.now();
    execFileSync('tar', ['-cf', archive, '-C', root, '.']);
    await fsyncFile(archive);
    times.tarSync.push(performance.now() - started);
    await rm(archive);

    started = performance.now();
    await store.checkpoint();
    times.checkpoint.push(performance.now() - started);

    started = performance.now();
    const created = await createBackup({ root, backupDir, collections: [store] });
    times.create.push(performance.now() - started);

    started = performance.now();
    const report = await verifyBackup({ root, backupDir }, created.id);
    times.verify.push(performance.now() - started);
    if (!report.ok) throw new Error('the backup does not verify');

    await touch(run);
    started = performance.now();
    const afterWrites = await createBackup({ root, backupDir, collections: [store] });
    times.createAfterWrites.push(performance.now() - started);
    await rm(afterWrites.path, { recursive: true, force: true });

    await touch(run);
    started = performance.now();
    const noCheckpoint = await createBackup({
      root,
      backupDir,
      collections: [store],
      checkpoint: false,
    });
    times.createNoCheckpoint.push(performance.now() - started);
    await rm(noCheckpoint.path, { recursive: true, force: true });

    await store.close();
    started = performance.now();
    const restored = await restoreBackup({ root, backupDir }, created.id);
    times.restore.push(performance.now() - started);
    await rm(restored.movedAside, { recursive: true, force: true });
    await rm(created.path, { recursive: true, force: true });
    store = await openStore(root);
    if ((await store.count()) !== COUNT) throw new Error('the restored store lost documents');
    await store.checkpoint();
  }
  await store.close();

  const tar = median(times.tar);
  const tarSync = median(times.tarSync);
  const rows = [
    ['tar -cf (ceiling)', median(times.tar)],
    ['tar -cf + fsync', median(times.tarSync)],
    ['collection.checkpoint() alone', median(times.checkpoint)],
    ['backup create', median(times.create)],
    ['create after 1,000 writes', median(times.createAfterWrites)],
    ['  the same, checkpoint: false', median(times.createNoCheckpoint)],
    ['backup verify', median(times.verify)],
    ['backup restore', median(times.restore)],
  ];
  console.log(`\nmedian of ${RUNS} runs`);
  for (const [name, value] of rows) {
    console.log(
      `${name.padEnd(32)} ${ms(value).padStart(9)}  ${(value / tar).toFixed(2).padStart(6)}x tar  ${(value / tarSync).toFixed(2).padStart(6)}x tar+fsync`,
    );
  }
  const ratio = median(times.create) / tar;
  console.log(
    `\ncreate / tar = ${ratio.toFixed(2)} (target <= 1.5): ${ratio <= 1.5 ? 'met' : 'NOT met'}`,
  );
  await writeFile(join(dir, 'done'), '');
} finally {
  await rm(dir, { recursive: true, force: true });
}
