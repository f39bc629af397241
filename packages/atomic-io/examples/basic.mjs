// The README's usage example, runnable: node examples/basic.mjs
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendRecords, readJson, readRecords, withLock, writeJsonAtomic } from '@vellum/atomic-io';

const dir = await mkdtemp(join(tmpdir(), 'vellum-example-'));
const file = join(dir, 'counters.json');

// Crash-safe replace; the previous version is kept as counters.json.bak.
await writeJsonAtomic(
  file,
  { version: '1.0', counters: { jira: 456 } },
  { backup: true, sortKeys: true },
);

// A read-modify-write that stays exclusive across processes.
const next = await withLock(file, async (lock) => {
  const state = (await readJson(file, { fallbackToBackup: true })) ?? {
    version: '1.0',
    counters: {},
  };
  state.counters.jira += 1;
  await writeJsonAtomic(file, state, { backup: true, sortKeys: true, lock });
  return state.counters.jira;
});
console.log(`next Jira id: PROJ-${next}`);

// Durable JSONL: resolves after fdatasync; concurrent callers share one.
const log = join(dir, 'events.jsonl');
await Promise.all([1, 2, 3].map((n) => appendRecords(log, [{ n, at: new Date().toISOString() }])));
for await (const record of readRecords(log)) console.log(record.line, record.value);
