import { readJson, withLock, writeJsonAtomic } from '@vellum/atomic-io';
import { startTogether, taskFromArgv, type Counter } from './protocol.js';

const { file, increments } = taskFromArgv();
await startTogether();
for (let i = 0; i < increments; i++) {
  await withLock(
    file,
    async (lock) => {
      const counter = await readJson<Counter>(file);
      await writeJsonAtomic(file, { count: (counter?.count ?? 0) + 1 }, { lock });
    },
    // Four processes queue for one lock: a turn can take far longer than one write.
    { lockTimeout: 60_000 },
  );
}
