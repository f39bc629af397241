import { appendFile, readFile, readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Journal,
  JournalClosedError,
  JournalCorruptError,
  SEAL_OP,
  listSegments,
} from '../src/index.js';
import { freshDir, readAll, track } from './helpers.js';

const day1 = new Date('2026-11-20T10:00:00Z');

async function segments(dir: string): Promise<string[]> {
  return (await listSegments(dir)).map((segment) => segment.name);
}

describe('Journal', () => {
  it('appends transactions with increasing sequence numbers and reads them back', async () => {
    const dir = await freshDir();
    const journal = track(await Journal.open(dir, { now: () => day1 }));
    const a = await journal.append([{ op: 'put', id: 'a', data: { v: 1 } }]);
    const b = await journal.append([
      { op: 'put', id: 'b', data: { v: 2 } },
      { op: 'delete', id: 'a' },
    ]);
    expect([a.seq, a.lastSeq, b.seq, b.lastSeq]).toEqual([1, 1, 2, 3]);
    expect(await segments(dir)).toEqual(['20261120.wal']);
    const txs = await readAll(journal);
    expect(txs.map((tx) => tx.ops.map((op) => [op.seq, op.op, op.id]))).toEqual([
      [[1, 'put', 'a']],
      [
        [2, 'put', 'b'],
        [3, 'delete', 'a'],
      ],
    ]);
    expect(txs[1]?.ops[0]).toMatchObject({ tx: 2, ts: day1.toISOString(), data: { v: 2 } });
    expect(await readAll(journal, 1)).toHaveLength(1);
  });

  it('keeps lines readable JSON for other tools', async () => {
    const dir = await freshDir();
    const journal = track(await Journal.open(dir, { now: () => day1 }));
    await journal.append([{ op: 'put', id: 'x', data: { title: 'hello' } }]);
    const [line] = (await readFile(join(dir, '20261120.wal'), 'utf8')).trim().split('\n');
    expect(JSON.parse(line ?? '')).toMatchObject({
      seq: 1,
      op: 'put',
      id: 'x',
      data: { title: 'hello' },
    });
  });

  it('gives 500 concurrent appends unique, gap-free sequence numbers in file order', async () => {
    const dir = await freshDir();
    const journal = track(await Journal.open(dir));
    const results = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        journal.append([{ op: 'put', id: `d${i}`, data: { i } }]),
      ),
    );
    expect(results.map((r) => r.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 500 }, (_, i) => i + 1),
    );
    const seqs = (await readAll(journal)).map((tx) => tx.seq);
    expect(seqs).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
  });

  it('resumes the sequence after reopening', async () => {
    const dir = await freshDir();
    const first = await Journal.open(dir);
    await first.append([{ op: 'a' }, { op: 'b' }]);
    await first.close();
    const second = track(await Journal.open(dir));
    expect(second.lastSeq).toBe(2);
    expect((await second.append([{ op: 'c' }])).seq).toBe(3);
  });

  it('writes pre-serialized data verbatim, read back as the same value', async () => {
    const dir = await freshDir();
    const journal = track(await Journal.open(dir, { now: () => day1 }));
    const data = { b: [1, 'x'], a: { nested: true } };
    await journal.append([{ op: 'put', id: 'j', json: JSON.stringify(data) }]);
    const text = await readFile(join(dir, '20261120.wal'), 'utf8');
    expect(text).toContain(`"id":"j","data":${JSON.stringify(data)},"crc":`);
    const [tx] = await readAll(journal);
    expect(tx?.ops[0]?.data).toEqual(data);
    expect((await journal.verify()).ok).toBe(true);
  });

  it('reopens after a rotation without reading the sealed segment, and readers follow', async () => {
    const dir = await freshDir();
    const journal = track(await Journal.open(dir, { now: () => day1 }));
    await journal.append([{ op: 'put', id: 'a', data: 1 }]);
    const next = await journal.rotate();
    await journal.close();
    // Damage the sealed segment's first record: a reopen that read it would refuse.
    const sealed = join(dir, '20261120.wal');
    const bytes = await readFile(sealed, 'utf8');
    await writeFile(sealed, bytes.replace('"data":1', '"data":7'));
    const reopened = track(await Journal.open(dir, { now: () => day1 }));
    expect(reopened.lastSeq).toBe(2);
    const reader = track(await Journal.open(dir, { now: () => day1 }));
    // Rotating an empty segment still seals it, so a reader parked on it is not stranded.
    await reopened.rotate();
    await reopened.append([{ op: 'put', id: 'b', data: 2 }]);
    const seen = await reader.catchUp();
    expect(seen.map((tx) => tx.ops[0]?.id)).toEqual(['b']);
    expect(next).toBe('20261120.1.wal');
    expect(await segments(dir)).toEqual(['20261120.wal', '20261120.1.wal', '20261120.2.wal']);
  });

  it('rejects an empty transaction and use after close', async () => {
    const dir = await freshDir();
    const journal = await Journal.open(dir);
    await expect(journal.append([])).rejects.toThrow(RangeError);
    await journal.close();
    await expect(journal.append([{ op: 'x' }])).rejects.toBeInstanceOf(JournalClosedError);
  });
});

describe('Journal transactions under a torn write', () => {
  it('applies a transaction all or nothing, for a cut at every byte of it', async () => {
    const dir = await freshDir();
    const writer = await Journal.open(dir, { now: () => day1 });
    await writer.append([{ op: 'put', id: 'before' }]);
    await writer.append([
      { op: 'put', id: 'x', data: { v: 'x'.repeat(40) } },
      { op: 'put', id: 'y', data: { v: 'y' } },
      { op: 'put', id: 'z', data: { v: 'z' } },
    ]);
    await writer.close();
    const path = join(dir, '20261120.wal');
    const full = await readFile(path);
    const txStart = full.indexOf('\n') + 1;
    for (let cut = txStart + 1; cut < full.length - 1; cut++) {
      await writeFile(path, full.subarray(0, cut));
      const journal = await Journal.open(dir, { now: () => day1 });
      const txs = await readAll(journal);
      expect(txs.map((tx) => tx.ops.length)).toEqual([1]);
      expect(journal.tail).toMatchObject({ offset: txStart, line: 2 });
      await journal.close();
    }
  });

  it('cuts an unfinished transaction on exclusive() and keeps its bytes', async () => {
    const dir = await freshDir();
    const writer = await Journal.open(dir, { now: () => day1 });
    await writer.append([{ op: 'put', id: 'kept' }]);
    await writer.append([
      { op: 'put', id: 'p' },
      { op: 'put', id: 'q' },
    ]);
    await writer.close();
    const path = join(dir, '20261120.wal');
    const lines = (await readFile(path, 'utf8')).split('\n');
    // Both lines of the transaction are whole, but its last operation never made it.
    await writeFile(path, `${lines[0]}\n${lines[1]}\n`);
    const journal = track(await Journal.open(dir, { now: () => day1 }));
    expect(journal.tail).toMatchObject({ reason: 'incomplete-transaction', line: 2 });
    const caughtUp = await journal.exclusive(async (txs) => {
      await journal.append([{ op: 'put', id: 'after' }]);
      return txs;
    });
    expect(caughtUp).toEqual([]);
    expect((await readAll(journal)).map((tx) => tx.ops[0]?.id)).toEqual(['kept', 'after']);
    const quarantined = (await readdir(dir)).filter((name) => name.includes('.torn-'));
    expect(quarantined).toHaveLength(1);
    expect(await readFile(join(dir, quarantined[0] ?? ''), 'utf8')).toBe(`${lines[1]}\n`);
  });

  it('repair() cuts a torn last line and reports it', async () => {
    const dir = await freshDir();
    const journal = track(await Journal.open(dir, { now: () => day1 }));
    await journal.append([{ op: 'put', id: 'a' }]);
    await appendFile(join(dir, '20261120.wal'), '{"seq":2,"ts":"x","op":"pu');
    const repair = await journal.repair();
    expect(repair?.tail).toMatchObject({ reason: 'incomplete-line', line: 2 });
    expect(await journal.repair()).toBeNull();
    expect((await journal.verify()).ok).toBe(true);
  });

  it('refuses a corrupt record followed by good ones, naming segment and line', async () => {
    const dir = await freshDir();
    const writer = await Journal.open(dir, { now: () => day1 });
    for (let i = 0; i < 3; i++) await writer.append([{ op: 'put', id: `d${i}`, data: { i } }]);
    await writer.close();
    const path = join(dir, '20261120.wal');
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"i":1', '"i":7'));
    const error = await Journal.open(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JournalCorruptError);
    expect(error).toMatchObject({ code: 'VELLUM_JOURNAL_CORRUPT', segment: path, line: 2 });
    expect(await readFile(path, 'utf8')).toBe(text.replace('"i":1', '"i":7'));
  });
});

describe('Journal segments', () => {
  it('rotates by size with sealed segments, and reads across them', async () => {
    const dir = await freshDir();
    const journal = track(await Journal.open(dir, { rotateBytes: 400, now: () => day1 }));
    for (let i = 0; i < 20; i++)
      await journal.append([{ op: 'put', id: `d${i}`, data: { pad: 'p'.repeat(50) } }]);
    const names = await segments(dir);
    expect(names.length).toBeGreaterThan(3);
    expect(names[0]).toBe('20261120.wal');
    expect(names[1]).toBe('20261120.1.wal');
    const sealLine =
      (await readFile(join(dir, names[0] ?? ''), 'utf8')).trim().split('\n').at(-1) ?? '';
    expect(JSON.parse(sealLine)).toMatchObject({ op: SEAL_OP, data: { next: '20261120.1.wal' } });
    const ids = (await readAll(journal)).map((tx) => tx.ops[0]?.id);
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => `d${i}`));
    const reopened = track(await Journal.open(dir, { rotateBytes: 400, now: () => day1 }));
    expect(reopened.lastSeq).toBe(journal.lastSeq);
  });

  it('starts a segment per UTC day, and never goes back when the clock does', async () => {
    const dir = await freshDir();
    let now = day1;
    const journal = track(await Journal.open(dir, { now: () => now }));
    await journal.append([{ op: 'a' }]);
    now = new Date('2026-11-21T00:00:01Z');
    await journal.append([{ op: 'b' }]);
    now = new Date('2026-11-19T00:00:01Z');
    await journal.append([{ op: 'c' }]);
    expect(await segments(dir)).toEqual(['20261120.wal', '20261121.wal']);
    expect((await readAll(journal)).map((tx) => tx.ops[0]?.op)).toEqual(['a', 'b', 'c']);
  });

  it('compacts only sealed segments covered by the checkpoint', async () => {
    const dir = await freshDir();
    const journal = track(await Journal.open(dir, { rotateBytes: 300, now: () => day1 }));
    for (let i = 0; i < 12; i++)
      await journal.append([{ op: 'put', id: `d${i}`, data: { pad: 'p'.repeat(60) } }]);
    const before = await segments(dir);
    const txs = await readAll(journal);
    const checkpoint = txs[5]?.lastSeq ?? 0;
    const removed = await journal.compact(checkpoint);
    expect(removed.length).toBeGreaterThan(0);
    expect(await segments(dir)).toEqual(before.filter((name) => !removed.includes(name)));
    const remaining = await readAll(journal, checkpoint);
    expect(remaining.map((tx) => tx.ops[0]?.id)).toEqual(txs.slice(6).map((tx) => tx.ops[0]?.id));
    expect(await journal.compact(journal.lastSeq)).not.toContain(before.at(-1));
  });

  it('catches up with another instance appending, including across a rotation', async () => {
    const dir = await freshDir();
    const a = track(await Journal.open(dir, { rotateBytes: 300, now: () => day1 }));
    const b = track(await Journal.open(dir, { rotateBytes: 300, now: () => day1 }));
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      await a.exclusive(async () =>
        a.append([{ op: 'put', id: `a${i}`, data: { pad: 'x'.repeat(60) } }]),
      );
      const caughtUp = await b.exclusive(async (txs) => {
        await b.append([{ op: 'put', id: `b${i}` }]);
        return txs;
      });
      seen.push(...caughtUp.map((tx) => tx.ops[0]?.id ?? ''));
    }
    expect(seen).toEqual(Array.from({ length: 8 }, (_, i) => `a${i}`));
    const all = (await readAll(a)).map((tx) => tx.seq);
    expect(new Set(all).size).toBe(all.length);
    expect((await a.verify()).ok).toBe(true);
    expect((await segments(dir)).length).toBeGreaterThan(1);
  });

  it('costs one stat when nothing changed', async () => {
    const dir = await freshDir();
    const journal = track(await Journal.open(dir));
    await journal.append([{ op: 'a' }]);
    expect(await journal.catchUp()).toEqual([]);
    const size = (await stat(join(dir, (await segments(dir))[0] ?? ''))).size;
    expect(size).toBeGreaterThan(0);
  });

  it('verify() reports segments, transactions and damage', async () => {
    const dir = await freshDir();
    const journal = track(await Journal.open(dir, { rotateBytes: 200, now: () => day1 }));
    for (let i = 0; i < 5; i++)
      await journal.append([{ op: 'put', id: `d${i}`, data: { pad: 'z'.repeat(80) } }]);
    const clean = await journal.verify();
    expect(clean).toMatchObject({ ok: true, transactions: 5, lastSeq: journal.lastSeq });
    expect(clean.segments.slice(0, -1).every((s) => s.sealed)).toBe(true);
    const first = join(dir, (await segments(dir))[0] ?? '');
    await truncate(first, (await stat(first)).size - 5);
    const damaged = await journal.verify();
    expect(damaged.ok).toBe(false);
    expect(damaged.error?.message).toMatch(/not the newest/);
  });
});

describe('Journal.truncateAfter', () => {
  it('cuts back to the last transaction at or below a sequence, keeping the rest aside', async () => {
    const dir = await freshDir();
    const journal = track(await Journal.open(dir, { rotateBytes: 300, now: () => day1 }));
    for (let i = 0; i < 12; i++) {
      await journal.append([
        { op: 'put', id: `d${i}`, data: { pad: 'p'.repeat(60) } },
        { op: 'put', id: `e${i}` },
      ]);
    }
    const before = await readAll(journal);
    const target = before[4]?.lastSeq ?? 0;
    const kept = await journal.truncateAfter(target + 1);
    expect(kept.length).toBeGreaterThan(0);
    const after = await readAll(journal);
    expect(after.map((tx) => tx.seq)).toEqual(before.slice(0, 5).map((tx) => tx.seq));
    expect((await journal.verify()).ok).toBe(true);
    const next = await journal.append([{ op: 'put', id: 'new' }]);
    expect(next.seq).toBeGreaterThan(target + 1);
    expect((await readAll(journal)).at(-1)?.ops[0]?.id).toBe('new');
  });
});
