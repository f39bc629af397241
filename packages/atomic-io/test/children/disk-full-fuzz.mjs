// Random writes and appends on a nearly full disk (64 KiB tmpfs, or ulimit -f),
// checking after every operation that it either succeeded completely or failed
// with VELLUM_DISK_FULL leaving the files exactly as they were.
// argv: <dir> <iterations> <seed>
// Prints {"event":"result", counts, violations}. Imports dist modules directly:
// see disk-full.mjs for why not dist/index.js.
import { existsSync, readFileSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { appendRecords } from '../../dist/append-records.js';
import { formatJson, formatJsonLine } from '../../dist/json-format.js';
import { isTempName } from '../../dist/temp-files.js';
import { writeJsonAtomic } from '../../dist/write-atomic.js';

const [dir, iterationsText, seedText] = process.argv.slice(2);
if (seedText === undefined) throw new Error('usage: disk-full-fuzz.mjs <dir> <iterations> <seed>');
const target = join(dir, 'target.json');
const log = join(dir, 'log.jsonl');

// mulberry32: a seeded PRNG, so that a failing run can be replayed.
let state = Number(seedText) >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (low, high) => low + Math.floor(random() * (high - low + 1));
/** Half small, half large: the disk fills up, and small values get through again. */
const size = (large) => (random() < 0.5 ? between(10, 2000) : between(2000, large));

const read = (path) => {
  try {
    return readFileSync(path);
  } catch (error) {
    if (error.code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
};

const counts = { writeOk: 0, writeFull: 0, appendOk: 0, appendFull: 0, truncations: 0 };
const violations = [];
const violation = (i, message) => {
  if (violations.length < 20) violations.push(`#${i}: ${message}`);
};

for (let i = 0; i < Number(iterationsText); i++) {
  const op = random();
  if (op < 0.45) {
    const value = { i, pad: 'w'.repeat(size(70_000)) };
    const backup = random() < 0.3;
    const before = read(target);
    const beforeBackup = read(`${target}.bak`);
    try {
      await writeJsonAtomic(target, value, { backup });
      counts.writeOk++;
      if (!read(target).equals(Buffer.from(formatJson(value))))
        violation(i, 'acknowledged write not in the target');
      if (backup && before.length > 0 && !read(`${target}.bak`).equals(before))
        violation(i, 'backup is not the old value');
    } catch (error) {
      if (error.code !== 'VELLUM_DISK_FULL')
        violation(i, `write failed with ${error.code}: ${error.message}`);
      counts.writeFull++;
      if (!read(target).equals(before)) violation(i, 'failed write changed the target');
      if (!read(`${target}.bak`).equals(beforeBackup))
        violation(i, 'failed write changed the backup');
    }
  } else if (op < 0.9) {
    const records = Array.from({ length: between(1, 5) }, (_, part) => ({
      i,
      part,
      pad: 'a'.repeat(size(15_000)),
    }));
    const before = read(log);
    try {
      await appendRecords(log, records);
      counts.appendOk++;
      const expected = Buffer.concat([
        before,
        Buffer.from(records.map((record) => formatJsonLine(record)).join('')),
      ]);
      if (!read(log).equals(expected))
        violation(i, 'acknowledged append not exactly at the end of the log');
    } catch (error) {
      if (error.code !== 'VELLUM_DISK_FULL')
        violation(i, `append failed with ${error.code}: ${error.message}`);
      counts.appendFull++;
      if (!read(log).equals(before)) violation(i, 'failed append left bytes in the log');
    }
  } else {
    // Compaction stand-in: free the log's space (the appender writes with O_APPEND),
    // and sometimes drop the backup or the target, which can hold most of the disk.
    if (existsSync(log)) {
      truncateSync(log, 0);
      counts.truncations++;
    }
    if (random() < 0.5) rmSync(`${target}.bak`, { force: true });
    if (random() < 0.3) rmSync(target, { force: true });
  }
  const temps = readdirSync(dir).filter(isTempName);
  if (temps.length > 0) violation(i, `temp files left: ${temps.join(', ')}`);
}
process.stdout.write(`${JSON.stringify({ event: 'result', counts, violations })}\n`);
process.exit(0);
