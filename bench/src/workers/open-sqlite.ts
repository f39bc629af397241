import { openSqlite, parsedDocs } from '../stores/sqlite.js';
import { PAGE, QUERY_STATUS, answer, storeFromArgv } from './answer.js';

const started = performance.now();
const db = openSqlite(storeFromArgv());
try {
  // Every document parsed into memory, as the collection holds them after opening.
  const all = parsedDocs<[]>(db, 'SELECT doc FROM records')();
  const page = parsedDocs<[string, number]>(
    db,
    'SELECT doc FROM records WHERE status = ? ORDER BY id LIMIT ?',
  )(QUERY_STATUS, PAGE);
  const total = db
    .prepare<[string], number>('SELECT count(*) FROM records WHERE status = ?')
    .pluck()
    .get(QUERY_STATUS);
  answer(started, { total: total ?? 0, items: page.length, loaded: all.length });
} finally {
  db.close();
}
