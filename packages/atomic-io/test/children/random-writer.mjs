// Writer that the parent SIGKILLs at random moments (test/processes/kill-writer.test.ts).
// argv: <dir> <first seq>
// Loop: writeJsonAtomic(state.json, {seq, payload}, {backup: true}) then acknowledges
// `w <seq>`; appendRecords(log.jsonl, two records of seq) then acknowledges `a <seq>`.
// An acknowledgement is written only after the promise resolved, with writeSync
// to the file `acks` in the same directory: a write(2) to a regular file is in the
// page cache when it returns, so it survives the SIGKILL that may follow at once.
// (stdout is a pipe, asynchronous in Node on POSIX: a torture run saw acknowledged
// writes whose lines never reached the parent.)
import { openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { appendRecords, writeJsonAtomic } from '../../dist/index.js';

const [dir, first] = process.argv.slice(2);
if (dir === undefined || first === undefined)
  throw new Error('usage: random-writer.mjs <dir> <first seq>');
const target = join(dir, 'state.json');
const log = join(dir, 'log.jsonl');

/** Must match payloadFor in test/helpers/processes.ts. */
function payloadFor(seq) {
  const size = 1000 + ((seq * 7919) % 8000);
  return `${seq}:`.padEnd(size, String.fromCharCode(97 + (seq % 26)));
}

const acks = openSync(join(dir, 'acks'), 'a');
process.stdout.write('ready\n');
for (let seq = Number(first); ; seq++) {
  await writeJsonAtomic(target, { seq, payload: payloadFor(seq) }, { backup: true });
  writeSync(acks, `w ${seq}\n`);
  await appendRecords(
    log,
    [0, 1].map((part) => ({ seq, part, payload: payloadFor(seq * 2 + part) })),
  );
  writeSync(acks, `a ${seq}\n`);
}
