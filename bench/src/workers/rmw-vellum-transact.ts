import { COUNTER_ID, openCounters } from '../stores/vellum.js';
import { startTogether, taskFromArgv } from './protocol.js';

const { file: root, increments } = taskFromArgv();
const counters = await openCounters(root);
try {
  await startTogether();
  for (let i = 0; i < increments; i++) {
    // The plan runs under the lock on the caught-up state: no other process can interleave.
    await counters.transact((view) => {
      const counter = view.get(COUNTER_ID);
      if (counter === undefined) throw new Error(`no ${COUNTER_ID} document in ${root}`);
      return [{ type: 'patch', id: COUNTER_ID, patch: { count: counter.count + 1 } }];
    });
  }
} finally {
  await counters.close();
}
