import { openNedb } from '../stores/nedb.js';
import { PAGE, QUERY_STATUS, answer, storeFromArgv } from './answer.js';

const started = performance.now();
// Loading reads and parses the whole file, builds the indexes and rewrites the file compacted.
const db = await openNedb(storeFromArgv());
const page = await db.findAsync({ status: QUERY_STATUS }).sort({ id: 1 }).limit(PAGE);
const total = await db.countAsync({ status: QUERY_STATUS });
answer(started, { total, items: page.length, loaded: db.getAllData().length });
