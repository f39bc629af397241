// Appends transactions to a shared journal under its lock.
// argv: dir count opsPerTx mode ('exclusive' | 'ack')
// In 'ack' mode it prints each acknowledged transaction's first seq as it resolves.
import { Journal } from '../../dist/index.js';

const [dir, count, opsPerTx, mode] = process.argv.slice(2);
const journal = await Journal.open(dir, { rotateBytes: 4096, lockTimeout: 120_000 });
process.stdout.write('ready\n');
for (let i = 0; i < Number(count); i++) {
  const ops = Array.from({ length: Number(opsPerTx) }, (_, k) => ({
    op: 'put',
    id: `${process.pid}-${i}-${k}`,
    data: { pid: process.pid, i, k, pad: 'x'.repeat(200) },
  }));
  const tx = await journal.exclusive(() => journal.append(ops));
  if (mode === 'ack') process.stdout.write(`ack ${tx.seq} ${tx.lastSeq}\n`);
}
await journal.close();
