import { readFile } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import writeFileAtomic from 'write-file-atomic';
import { startTogether, taskFromArgv, type Counter } from './protocol.js';

const { file, increments } = taskFromArgv();
await startTogether();
for (let i = 0; i < increments; i++) {
  // Its defaults (no retries, 1 s first backoff) would fail or crawl under contention.
  const release = await lockfile.lock(file, {
    retries: { retries: 1000, minTimeout: 1, maxTimeout: 50 },
  });
  try {
    const counter = JSON.parse(await readFile(file, 'utf8')) as Counter;
    await writeFileAtomic(file, `${JSON.stringify({ count: counter.count + 1 }, null, 2)}\n`);
  } finally {
    await release();
  }
}
