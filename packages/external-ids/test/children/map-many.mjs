// One of the processes of test/processes.test.ts.
// argv: <stateDir> <tool> <projectKey|-> <task prefix> <count> <concurrency> [lockStale]
// Prints `ready`, waits for `go` on stdin (a start barrier, so every process
// contends from the first call), then maps tasks <prefix>-0 .. <prefix>-<count-1>
// with <concurrency> callers spread over two mapper instances. Prints
// `ack <internalId> <externalId>` as each call resolves (the kill test counts
// on them), then {"event":"done","results":[[internalId, externalId], ...]}.
import { createInterface } from 'node:readline';
import { ExternalIdMapper } from '../../dist/index.js';

const [stateDir, tool, keyArg, prefix, countText, concurrencyText, staleText] =
  process.argv.slice(2);
if (concurrencyText === undefined) {
  throw new Error('usage: map-many.mjs <stateDir> <tool> <key|-> <prefix> <count> <concurrency>');
}
const projectKey = keyArg === '-' ? undefined : keyArg;
const count = Number(countText);
const concurrency = Number(concurrencyText);
// Every lock wait counts toward the timeout; eight busy processes can queue for a while.
const options = {
  stateDir,
  lockTimeout: 300_000,
  lockStale: staleText === undefined ? 30_000 : Number(staleText),
};
const mappers = [new ExternalIdMapper(options), new ExternalIdMapper(options)];

const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
process.stdout.write('ready\n');
const { value } = await lines.next();
if (value !== 'go') throw new Error(`expected go, got ${value}`);

const results = [];
let next = 0;
async function caller(slot) {
  for (;;) {
    const i = next++;
    if (i >= count) return;
    const internalId = `${prefix}-${i}`;
    const mapper = mappers[(slot + i) % mappers.length];
    const externalId = await mapper.mapToExternal(internalId, tool, projectKey);
    process.stdout.write(`ack ${internalId} ${externalId}\n`);
    results.push([internalId, externalId]);
  }
}
await Promise.all(Array.from({ length: concurrency }, (_, slot) => caller(slot)));
input.close();
process.stdout.write(`${JSON.stringify({ event: 'done', results })}\n`);
