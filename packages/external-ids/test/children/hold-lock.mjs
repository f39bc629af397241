// Holds the external-ids lock of <stateDir> until `release` arrives on stdin
// (test/processes.test.ts). Prints {"event":"locked","pid":...} once it holds it.
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { withLock } from '@vellum/atomic-io';
import { LOCK_NAME, MAPPING_FILE } from '../../dist/index.js';

const [stateDir] = process.argv.slice(2);
if (stateDir === undefined) throw new Error('usage: hold-lock.mjs <stateDir>');
const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
await withLock(
  join(stateDir, MAPPING_FILE),
  async () => {
    process.stdout.write(`${JSON.stringify({ event: 'locked', pid: process.pid })}\n`);
    for (;;) {
      const { value, done } = await lines.next();
      if (done || value === 'release') break;
    }
  },
  { lockPath: join(stateDir, LOCK_NAME) },
);
input.close();
process.stdout.write(`${JSON.stringify({ event: 'released' })}\n`);
