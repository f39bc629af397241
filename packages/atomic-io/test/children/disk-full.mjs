// Runs on a full disk (test/processes/disk-full.test.ts) and prints one JSON
// result line. Started either inside `unshare -rm` with DIR a 64 KiB tmpfs
// (ENOSPC), or under `ulimit -f` (EFBIG).
// argv: <scenario> <dir>
//   vellum-write  writeJsonAtomic of ~200 KB over a small valid target
//   wfa           the same with write-file-atomic 7.0.1
//   append        appendRecords of ~200 KB after three small records
// Imports the modules it needs from dist/, not dist/index.js: the index pulls in
// proper-lockfile, whose signal-exit handler turns SIGXFSZ (ulimit -f) into a kill.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Appender } from '../../dist/append-records.js';
import { readRecords } from '../../dist/read-records.js';
import { isTempName } from '../../dist/temp-files.js';
import { writeJsonAtomic } from '../../dist/write-atomic.js';

const [scenario, dir] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: disk-full.mjs <scenario> <dir>');
const target = join(dir, 'target.json');
const log = join(dir, 'log.jsonl');
const SMALL = { small: true, items: [1, 2, 3] };
const BIG = { big: 'b'.repeat(200 * 1024) };

const emit = (result) =>
  process.stdout.write(`${JSON.stringify({ event: 'result', scenario, ...result })}\n`);
const describe = (error) => ({
  name: error?.name,
  code: error?.code,
  errno: error?.errno,
  message: error?.message,
});
const tempFiles = () => readdirSync(dir).filter(isTempName);
const fileSizeLimit = () =>
  /^Max file size\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
const parses = (text) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

async function records(path) {
  const values = [];
  let tail = null;
  for await (const record of readRecords(path, { onTornTail: (found) => (tail = found) }))
    values.push(record.value);
  return { values, tail };
}

if (scenario === 'vellum-write') {
  await writeJsonAtomic(target, SMALL);
  const before = readFileSync(target);
  let error = null;
  try {
    await writeJsonAtomic(target, BIG);
  } catch (caught) {
    error = describe(caught);
  }
  const after = readFileSync(target);
  const tempsAfterFailure = tempFiles();
  // The failed write gave its space back: a small write still works.
  let smallWriteAfter;
  try {
    await writeJsonAtomic(target, { ...SMALL, again: true });
    smallWriteAfter = JSON.parse(readFileSync(target, 'utf8'));
  } catch (caught) {
    smallWriteAfter = describe(caught);
  }
  emit({
    error,
    targetUnchanged: before.equals(after),
    targetAfter: after.toString('utf8'),
    tempFiles: tempsAfterFailure,
    smallWriteAfter,
    fileSizeLimit: fileSizeLimit(),
  });
} else if (scenario === 'wfa') {
  const { default: writeFileAtomic } = await import('write-file-atomic');
  await writeJsonAtomic(target, SMALL);
  const text = JSON.stringify(BIG);
  let reportedSuccess = false;
  let error = null;
  try {
    await writeFileAtomic(target, text);
    reportedSuccess = true;
  } catch (caught) {
    error = describe(caught);
  }
  const after = readFileSync(target, 'utf8');
  emit({
    reportedSuccess,
    error,
    intendedBytes: Buffer.byteLength(text),
    targetBytes: Buffer.byteLength(after),
    targetIsSmall: after === `${JSON.stringify(SMALL, null, 2)}\n`,
    targetIsPrefixOfIntended: text.startsWith(after),
    targetParses: parses(after),
    leftovers: readdirSync(dir).filter((name) => name !== 'target.json'),
    fileSizeLimit: fileSizeLimit(),
  });
} else if (scenario === 'append') {
  const appender = new Appender(log);
  const small = [1, 2, 3].map((seq) => ({ seq, text: `record ${seq}` }));
  await appender.append(small);
  const before = readFileSync(log);
  let error = null;
  try {
    await appender.append(
      Array.from({ length: 20 }, (_, i) => ({ seq: 4 + i, text: 'a'.repeat(10 * 1024) })),
    );
  } catch (caught) {
    error = describe(caught);
  }
  const after = readFileSync(log);
  const read = await records(log);
  // The appender carries on after the failure: the next batch lands right after the good records.
  let nextAppend;
  try {
    await appender.append([{ seq: 4, text: 'after the failure' }]);
    nextAppend = (await records(log)).values;
  } catch (caught) {
    nextAppend = describe(caught);
  }
  await appender.close();
  emit({
    error,
    fileUnchanged: before.equals(after),
    endsWithNewline: after.at(-1) === 0x0a,
    records: read.values,
    tail: read.tail,
    nextAppend,
    fileSizeLimit: fileSizeLimit(),
  });
} else {
  throw new Error(`unknown scenario ${scenario}`);
}
