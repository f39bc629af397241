import Database from 'better-sqlite3';
import { startTogether, taskFromArgv } from './protocol.js';

const { file, increments } = taskFromArgv();
// busy_timeout: a writer waits for the others instead of failing with SQLITE_BUSY.
const db = new Database(file, { timeout: 60_000 });
try {
  // Per connection; FULL syncs the WAL on every commit, as durable as the JSON contenders.
  db.pragma('synchronous = FULL');
  const read = db.prepare<[], number>('SELECT count FROM counter WHERE id = 1').pluck();
  const write = db.prepare<[number]>('UPDATE counter SET count = ? WHERE id = 1');
  const increment = db.transaction(() => {
    write.run((read.get() ?? 0) + 1);
  });
  await startTogether();
  // BEGIN IMMEDIATE takes the write lock up front, so two readers never both read n.
  for (let i = 0; i < increments; i++) increment.immediate();
} finally {
  db.close();
}
