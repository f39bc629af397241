// Locked read-modify-write increments of one JSON counter (test/processes/lock-contention.test.ts).
// argv: <counter.json> <critical.log> <iterations> [concurrency=1] [stale ms=default]
// Prints `ready`, waits for `go` on stdin (a start barrier), then runs
// `concurrency` callers that do `iterations` increments in all. Inside each
// critical section it appends `enter <pid>:<slot>` and `exit <pid>:<slot>` to
// the shared log, so the parent can check that no two sections overlapped.
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { readJson, withLock, writeJsonAtomic } from '../../dist/index.js';

const [counter, log, iterationsText, concurrencyText = '1', staleText] = process.argv.slice(2);
if (iterationsText === undefined)
  throw new Error('usage: counter.mjs <counter> <log> <iterations> [concurrency]');
const iterations = Number(iterationsText);
const concurrency = Number(concurrencyText);

const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
process.stdout.write('ready\n');
const { value } = await lines.next();
if (value !== 'go') throw new Error(`expected go, got ${value}`);

async function caller(slot, count) {
  const tag = `${process.pid}:${slot}`;
  for (let i = 0; i < count; i++) {
    await withLock(
      counter,
      async (lock) => {
        appendFileSync(log, `enter ${tag}\n`);
        const current = await readJson(counter);
        await writeJsonAtomic(counter, { n: current.n + 1 }, { lock });
        appendFileSync(log, `exit ${tag}\n`);
      },
      { lockTimeout: 120_000, ...(staleText === undefined ? {} : { stale: Number(staleText) }) },
    );
  }
}

const share = (slot) =>
  Math.floor(iterations / concurrency) + (slot < iterations % concurrency ? 1 : 0);
await Promise.all(Array.from({ length: concurrency }, (_, slot) => caller(slot, share(slot))));
input.close();
process.stdout.write('done\n');
