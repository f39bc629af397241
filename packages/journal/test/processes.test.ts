import { join } from 'node:path';
import { runNode, spawnNode } from '@vellum/test-utils';
import { describe, expect, it } from 'vitest';
import { Journal } from '../src/index.js';
import { freshDir, readAll, track } from './helpers.js';

const child = join(import.meta.dirname, 'children', 'appender.mjs');

describe('journal shared by processes', () => {
  it('4 processes x 50 locked transactions: unique increasing sequence numbers, every transaction whole', async () => {
    const dir = await freshDir();
    const results = await Promise.all(
      Array.from({ length: 4 }, () => runNode(child, [dir, '50', '3', 'exclusive'])),
    );
    expect(
      results.map((result) => result.code),
      results.map((result) => result.stderr).join('\n'),
    ).toEqual([0, 0, 0, 0]);
    const journal = track(await Journal.open(dir));
    const txs = await readAll(journal);
    expect(txs).toHaveLength(200);
    const seqs = txs.flatMap((tx) => tx.ops.map((op) => op.seq));
    const sealsAndOps = journal.lastSeq;
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(600);
    expect(sealsAndOps).toBeGreaterThanOrEqual(600);
    for (const tx of txs) {
      const [first] = tx.ops;
      expect(tx.ops.map((op) => (op.data as { k: number }).k)).toEqual([0, 1, 2]);
      expect(new Set(tx.ops.map((op) => (op.data as { pid: number }).pid))).toEqual(
        new Set([(first?.data as { pid: number }).pid]),
      );
    }
    expect((await journal.verify()).ok).toBe(true);
  });

  it('a writer killed with SIGKILL mid-append loses no acknowledged transaction and leaves no partial one', async () => {
    const dir = await freshDir();
    const acked = new Set<number>();
    for (let round = 0; round < 12; round++) {
      let acksThisRound = 0;
      const killAfter = 1 + Math.floor(Math.random() * 40);
      const writer = spawnNode(child, [dir, '100000', '4', 'ack'], {
        stdin: false,
        onLine: (line, self) => {
          if (!line.startsWith('ack ') || acksThisRound === killAfter) return;
          acked.add(Number(line.split(' ')[1]));
          if (++acksThisRound === killAfter) self.kill('SIGKILL');
        },
      });
      await writer.exited;
      const journal = await Journal.open(dir, { rotateBytes: 4096 });
      await journal.exclusive(async () => undefined);
      const txs = await readAll(journal);
      const present = new Set(txs.map((tx) => tx.seq));
      for (const seq of acked) expect(present.has(seq)).toBe(true);
      for (const tx of txs) expect(tx.ops).toHaveLength(4);
      expect((await journal.verify()).ok).toBe(true);
      await journal.close();
    }
    expect(acked.size).toBeGreaterThan(12);
  });
});
