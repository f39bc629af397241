import { openRecords } from '../stores/vellum.js';
import { PAGE, QUERY_STATUS, answer, storeFromArgv } from './answer.js';

const started = performance.now();
const records = await openRecords(storeFromArgv());
try {
  const page = await records.query({ where: { status: QUERY_STATUS }, limit: PAGE });
  answer(started, { total: page.total, items: page.items.length, loaded: await records.count() });
} finally {
  await records.close();
}
