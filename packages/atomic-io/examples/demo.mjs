// A visible tour of @vellum/atomic-io on real files in ./vellum-demo/.
// Run from the repository root with `npm run demo`, or `node examples/demo.mjs`.
import { fork } from 'node:child_process';
import { appendFile, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import {
  ItemLocks,
  assertSafeId,
  appendRecords,
  cleanupTempFiles,
  ensureDir,
  readJson,
  readRecords,
  repairTail,
  scanRecords,
  withLock,
  writeJsonAtomic,
} from '@vellum/atomic-io';

const base = process.env.INIT_CWD ?? process.cwd();
const dir = resolve(base, 'vellum-demo');
const show = (path) => relative(base, path) || '.';

async function increment(counterFile, times) {
  for (let i = 0; i < times; i++) {
    await withLock(counterFile, async (lock) => {
      const current = (await readJson(counterFile)) ?? { count: 0 };
      await writeJsonAtomic(counterFile, { count: current.count + 1 }, { lock });
    });
  }
}

if (process.argv[2] === 'worker') {
  await increment(process.argv[3], Number(process.argv[4]));
  process.exit(0);
}

const step = (n, title) => console.log(`\n${n}. ${title}`);

await rm(dir, { recursive: true, force: true });
await ensureDir(dir);
console.log(`Vellum atomic-io demo: files in ${show(dir)}/`);

step(1, 'Atomic JSON write with a backup (temp file, fsync, rename, fsync of the directory)');
const settings = join(dir, 'settings.json');
await writeJsonAtomic(settings, { theme: 'dark', version: 1 }, { backup: true, sortKeys: true });
await writeJsonAtomic(settings, { theme: 'light', version: 2 }, { backup: true, sortKeys: true });
console.log(`   ${show(settings)}:\n${(await readFile(settings, 'utf8')).replace(/^/gm, '     ')}`);
console.log(
  `   ${show(settings)}.bak keeps version ${(await readJson(`${settings}.bak`)).version}`,
);

step(2, '4 processes x 25 locked read-modify-write increments of one counter');
const counter = join(dir, 'counter.json');
const started = Date.now();
await Promise.all(
  Array.from(
    { length: 4 },
    () =>
      new Promise((done, fail) => {
        const child = fork(new URL(import.meta.url), ['worker', counter, '25']);
        child.on('exit', (code) =>
          code === 0 ? done() : fail(new Error(`worker exited with ${code}`)),
        );
      }),
  ),
);
console.log(
  `   count = ${(await readJson(counter)).count} (expected 100) in ${Date.now() - started} ms`,
);

step(3, 'Durable JSONL appends: 200 concurrent callers share fdatasyncs (group commit)');
const events = join(dir, 'events.jsonl');
await Promise.all(
  Array.from({ length: 200 }, (_, i) => appendRecords(events, [{ seq: i, type: 'demo' }])),
);
console.log(`   ${show(events)} holds ${(await scanRecords(events)).records} records`);

step(4, 'A crash mid-append leaves a torn tail: detected, cut, and kept aside');
await appendFile(events, '{"seq":200,"type":"de');
try {
  for await (const _record of readRecords(events)) void _record;
} catch (error) {
  console.log(`   reader: ${error.code}: ${error.message.replace(dir, show(dir))}`);
}
const repair = await repairTail(events);
console.log(
  `   repairTail: ${repair.records} records kept, ${repair.tail.bytes} bytes moved to ${show(repair.quarantinedTo)}`,
);

step(5, 'A corrupt file is never dropped silently: restored from .bak, the bad one quarantined');
await writeFile(settings, '{"theme": "light", "vers');
try {
  await readJson(settings);
} catch (error) {
  console.log(`   readJson: ${error.code} at line ${error.line}, column ${error.column}`);
}
const recovered = await readJson(settings, {
  fallbackToBackup: true,
  onRecover: (report) =>
    console.log(
      `   recovered from ${show(report.restoredFrom)}; corrupt copy kept at ${show(report.quarantinedTo)}`,
    ),
});
console.log(`   settings now: ${JSON.stringify(recovered)}`);

step(6, 'Ids that become file names are checked');
for (const id of ['TASK-001-002', '../../etc/passwd']) {
  try {
    assertSafeId(id, 'taskId');
    console.log(`   ${JSON.stringify(id)}: ok`);
  } catch (error) {
    console.log(`   ${JSON.stringify(id)}: ${error.code}: ${error.message}`);
  }
}

step(7, 'Item locks as spec 002 names them ({item-id}.lock.{locked-by}.{unix-timestamp})');
const locks = new ItemLocks(join(dir, 'locks', 'issues'));
await locks.acquire('issue-001', 'user123');
try {
  await locks.acquire('issue-001', 'ai-agent');
} catch (error) {
  console.log(`   ${error.code}: ${error.message}`);
}
console.log(
  `   lock files: ${(await readdir(locks.dir)).filter((n) => !n.startsWith('.')).join(', ')}`,
);

step(8, 'On open, temp files left by killed writers are removed');
await writeFile(join(dir, '.settings.json.vellum-tmp-999999-0badc0de'), '{"half": ');
const removed = await cleanupTempFiles(dir);
console.log(`   removed ${removed.map(show).join(', ') || 'nothing'}`);

console.log(`\nDone. Look around in ${show(dir)}/ — every file is plain JSON or JSONL.`);
