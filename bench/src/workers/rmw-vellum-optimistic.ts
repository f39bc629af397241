import { ConflictError } from '@vellum/collection';
import { COUNTER_ID, openCounters } from '../stores/vellum.js';
import { startTogether, taskFromArgv } from './protocol.js';

const { file: root, increments } = taskFromArgv();
const counters = await openCounters(root);
try {
  await startTogether();
  for (let i = 0; i < increments; i++) {
    // Read outside the lock, write only if nobody wrote in between; else read again.
    for (;;) {
      const entry = await counters.getEntry(COUNTER_ID);
      if (entry === undefined) throw new Error(`no ${COUNTER_ID} document in ${root}`);
      try {
        await counters.patch(
          COUNTER_ID,
          { count: entry.doc.count + 1 },
          { expectedRevision: entry.revision },
        );
        break;
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }
} finally {
  await counters.close();
}
