// SIGKILLs itself right before fs call number N of one write or append, through
// an injectable FsLayer (test/processes/kill-writer.test.ts).
// argv: <scenario> <dir> <N> <size> <batch> <maxWrite>
//   N = 0: run to completion and print {"event":"done","calls":[...]}.
//   N = calls + 1: kill after the promise resolved (before any acknowledgement).
// Must build the same values as test/helpers/processes.ts (newValue, newRecords).
import { basename, join, resolve } from 'node:path';
import { appendRecords, nodeFs, writeJsonAtomic } from '../../dist/index.js';

const [scenario, dir, killAtText, sizeText, batchText, maxWriteText] = process.argv.slice(2);
if (maxWriteText === undefined)
  throw new Error('usage: kill-at-call.mjs <scenario> <dir> <N> <size> <batch> <maxWrite>');
const killAt = Number(killAtText);
const size = Number(sizeText);
const batch = Number(batchText);
const maxWrite = scenario.endsWith('short-writes') ? Number(maxWriteText) : Infinity;

const calls = [];
/** Temp names hold a pid and random bytes: name them the same in every run. */
const label = (op, path) =>
  resolve(path) === resolve(dir)
    ? `${op} <dir>`
    : `${op} ${basename(path).replace(/\.vellum-tmp-\d+-[0-9a-f]+$/, '.vellum-tmp')}`;

function boundary(call) {
  calls.push(call);
  if (calls.length === killAt) {
    process.stdout.write(`${JSON.stringify({ event: 'killing', call })}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}

function wrapHandle(handle, path) {
  return {
    async write(buffer, offset, length, position) {
      boundary(label('write', path));
      return handle.write(buffer, offset, Math.min(length, maxWrite), position);
    },
    async sync() {
      boundary(label('sync', path));
      return handle.sync();
    },
    async datasync() {
      boundary(label('datasync', path));
      return handle.datasync();
    },
    async truncate(length) {
      boundary(label('truncate', path));
      return handle.truncate(length);
    },
    async stat() {
      boundary(label('stat', path));
      return handle.stat();
    },
    async close() {
      boundary(label('close', path));
      return handle.close();
    },
  };
}

const fs = {
  async open(path, flags, mode) {
    boundary(`${label('open', path)} ${flags}`);
    return wrapHandle(await nodeFs.open(path, flags, mode), path);
  },
  async rename(from, to) {
    boundary(label('rename', to));
    return nodeFs.rename(from, to);
  },
  async unlink(path) {
    boundary(label('unlink', path));
    return nodeFs.unlink(path);
  },
  async link(existing, newPath) {
    boundary(label('link', newPath));
    if (scenario === 'write-copy-backup') {
      // A file system without hard links: the backup is copied instead.
      throw Object.assign(new Error('operation not permitted (injected)'), { code: 'EPERM' });
    }
    return nodeFs.link(existing, newPath);
  },
  async copyFile(from, to) {
    boundary(label('copyFile', to));
    return nodeFs.copyFile(from, to);
  },
};

if (scenario.startsWith('write')) {
  await writeJsonAtomic(
    join(dir, 'target.json'),
    { version: 'new', text: 'n'.repeat(size) },
    { backup: true, fs },
  );
} else if (scenario.startsWith('append')) {
  const records = Array.from({ length: batch }, (_, i) => ({
    seq: 4 + i,
    text: `${i}`.padEnd(size, 'r'),
  }));
  await appendRecords(join(dir, 'log.jsonl'), records, { fs });
} else {
  throw new Error(`unknown scenario ${scenario}`);
}
if (killAt === calls.length + 1) {
  process.stdout.write(`${JSON.stringify({ event: 'killing', call: 'after-resolve' })}\n`);
  process.kill(process.pid, 'SIGKILL');
}
process.stdout.write(`${JSON.stringify({ event: 'done', calls })}\n`);
// The appender keeps its file open for a while: do not wait for it.
process.exit(0);
