import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  Appender,
  cleanupTempFiles,
  ensureDir,
  fsyncDirectory,
  nodeFs,
  quarantineFile,
  truncateTail,
  withLock,
  type HeldLock,
} from '@vellum/atomic-io';
import { JournalClosedError } from './errors.js';
import { SEAL_OP, encodeRecord, type JournalOp, type JournalRecord } from './record.js';
import {
  readLastRecord,
  readSegment,
  type PendingTail,
  type Position,
  type Transaction,
} from './read-segment.js';
import {
  compareSegments,
  dayOf,
  listSegments,
  nextSegment,
  parseSegmentName,
  type SegmentName,
} from './segments.js';

export interface JournalOptions {
  /** Start a new segment once the current one reaches this size. Default 64 MiB. */
  rotateBytes?: number | undefined;
  /** Start a new segment on each new UTC day (`YYYYMMDD.wal`). Default true. */
  rotateDaily?: boolean | undefined;
  /** Clock, for tests. */
  now?: (() => Date) | undefined;
  /** Lock timeout for `exclusive`. Default 10 s. */
  lockTimeout?: number | undefined;
  /** Keep the lock this long after the last `exclusive` section, for the next one. Default 5 ms. */
  holdMs?: number | undefined;
  /** Give the lock up after holding it this long, so other processes get a turn. Default 200 ms. */
  maxHoldMs?: number | undefined;
}

interface Lease {
  lock: HeldLock;
  release: () => void;
  released: Promise<void>;
  since: number;
}

export interface JournalTailRepair {
  tail: PendingTail;
  quarantinedTo: string;
}

export interface SegmentReport {
  segment: string;
  transactions: number;
  firstSeq: number | undefined;
  lastSeq: number | undefined;
  sealed: boolean;
}

export interface JournalReport {
  ok: boolean;
  segments: SegmentReport[];
  transactions: number;
  lastSeq: number;
  tail: PendingTail | undefined;
  /** The corruption found, if any. */
  error: Error | undefined;
}

const DEFAULT_ROTATE_BYTES = 64 * 1024 * 1024;
/** The lock every writer of the journal takes: `<dir>/journal.lock`. */
const LOCK_NAME = 'journal';

/**
 * An append-only journal of JSONL segments in one directory: the commit point
 * of a store. Records carry a sequence number, a timestamp and a CRC-32; a
 * transaction is one append and is read back all or nothing.
 *
 * One process appends at a time: across processes, append inside
 * `exclusive()`, which takes the journal's lock and catches up first.
 */
export class Journal {
  readonly dir: string;
  readonly #rotateBytes: number;
  readonly #rotateDaily: boolean;
  readonly #now: () => Date;
  readonly #lockTimeout: number;
  readonly #holdMs: number;
  readonly #maxHoldMs: number;
  #lease: Lease | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #exclusiveTail: Promise<void> = Promise.resolve();
  #lastCut: JournalTailRepair | undefined;
  #segment: SegmentName | undefined;
  #appender: Appender | undefined;
  #size = 0;
  #position: Position | undefined;
  #lastSeq = 0;
  #tail: PendingTail | undefined;
  #rotating: Promise<void> | undefined;
  #closed = false;

  private constructor(dir: string, options: JournalOptions) {
    this.dir = dir;
    this.#rotateBytes = options.rotateBytes ?? DEFAULT_ROTATE_BYTES;
    this.#rotateDaily = options.rotateDaily ?? true;
    this.#now = options.now ?? (() => new Date());
    this.#lockTimeout = options.lockTimeout ?? 10_000;
    this.#holdMs = options.holdMs ?? 5;
    this.#maxHoldMs = options.maxHoldMs ?? 200;
  }

  /**
   * Opens (creating) the journal in `dir` and reads its newest segment to learn
   * the last sequence number. A torn or unfinished end is left as `tail`: it
   * may be another process's append in flight, so only `exclusive()` and
   * `repair()` cut it.
   * @throws {JournalCorruptError} the newest segment is corrupt.
   */
  static async open(dir: string, options: JournalOptions = {}): Promise<Journal> {
    const journal = new Journal(resolve(dir), options);
    await ensureDir(journal.dir);
    await cleanupTempFiles(journal.dir);
    await journal.#catchUpFromNewest();
    return journal;
  }

  /**
   * Runs `fn` holding the journal's cross-process lock, the one writers take,
   * without opening the journal: for tools that must see no append while they
   * work (a backup confirming its copy). Held briefly: writers wait meanwhile.
   */
  static async withLock<T>(
    dir: string,
    fn: () => Promise<T> | T,
    options: { lockTimeout?: number | undefined } = {},
  ): Promise<T> {
    return withLock(join(resolve(dir), LOCK_NAME), fn, { lockTimeout: options.lockTimeout });
  }

  /** Highest sequence number appended or read so far. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Bytes in the current segment, as last seen: a caller may `rotate()` at a checkpoint once it is large. */
  get segmentBytes(): number {
    return this.#size;
  }

  /** An unfinished end of the newest segment, as last seen. */
  get tail(): PendingTail | undefined {
    return this.#tail;
  }

  #path(segment: string): string {
    return join(this.dir, segment);
  }

  #assertOpen(): void {
    if (this.#closed) throw new JournalClosedError(this.dir);
  }

  async #catchUpFromNewest(): Promise<void> {
    const segments = await listSegments(this.dir);
    const newest = segments.at(-1);
    if (newest === undefined) return;
    // A sealed newest segment (rotated, its successor not written yet) need not be read: its seal names what follows.
    const last = await readLastRecord(this.#path(newest.name));
    const next = (last?.data as { next?: unknown } | undefined)?.next;
    const nextName =
      last?.op === SEAL_OP && typeof next === 'string' ? parseSegmentName(next) : undefined;
    if (last !== undefined && nextName !== undefined) {
      this.#lastSeq = last.seq;
      this.#segment = nextName;
      this.#position = { segment: nextName.name, offset: 0, line: 1 };
      await this.catchUp();
      return;
    }
    this.#segment = newest;
    this.#position = { segment: newest.name, offset: 0, line: 1 };
    await this.catchUp();
    if (this.#lastSeq === 0) {
      // The newest segment has no transaction yet: the last seq is the previous one's seal.
      const previous = segments.at(-2);
      const last =
        previous === undefined ? undefined : await readLastRecord(this.#path(previous.name));
      this.#lastSeq = last?.seq ?? 0;
    }
  }

  /**
   * Reads what other processes appended since this journal last looked: a
   * stat of the current segment when nothing changed.
   * @returns the new complete transactions, oldest first.
   * @throws {JournalCorruptError}
   */
  async catchUp(): Promise<Transaction[]> {
    this.#assertOpen();
    const found: Transaction[] = [];
    for (;;) {
      const position = this.#position;
      if (position === undefined) {
        const first = (await listSegments(this.dir))[0];
        if (first === undefined) return found;
        this.#position = { segment: first.name, offset: 0, line: 1 };
        this.#segment = first;
        continue;
      }
      const path = this.#path(position.segment);
      const size = await stat(path).then(
        (info) => info.size,
        () => 0,
      );
      if (size === position.offset && this.#tail === undefined) return found;
      const read = await readSegment(path, position, (tx) => {
        if (tx.lastSeq > this.#lastSeq) {
          found.push(tx);
          this.#lastSeq = tx.lastSeq;
        }
      });
      this.#position = read.end;
      this.#tail = read.tail;
      this.#size = Math.max(this.#size, read.end.offset);
      if (read.seal === undefined) return found;
      this.#lastSeq = Math.max(this.#lastSeq, read.seal.seq);
      const next = (read.seal.data as { next?: unknown } | undefined)?.next;
      const nextName = typeof next === 'string' ? parseSegmentName(next) : undefined;
      if (nextName === undefined) return found;
      await this.#switchTo(nextName);
    }
  }

  async #switchTo(segment: SegmentName): Promise<void> {
    await this.#appender?.close();
    this.#appender = undefined;
    this.#segment = segment;
    this.#position = { segment: segment.name, offset: 0, line: 1 };
    this.#size = 0;
    this.#tail = undefined;
  }

  /**
   * Appends `ops` as one transaction and resolves once it is durable
   * (fdatasync; concurrent appends share one). Sequence numbers are assigned
   * in call order.
   * @throws {SerializationError} an op's data is not JSON; nothing is written.
   * @throws {DiskFullError | WriteError} nothing of the transaction remains.
   */
  async append(ops: readonly JournalOp[]): Promise<Transaction> {
    this.#assertOpen();
    if (ops.length === 0) throw new RangeError('a transaction needs at least one operation');
    while (this.#rotating !== undefined) await this.#rotating;
    if (this.#needsRotation()) await this.#rotate();
    const segment = this.#segment;
    if (segment === undefined) throw new Error('unreachable: no segment after rotation');
    const ts = this.#now().toISOString();
    const first = this.#lastSeq + 1;
    const records: JournalRecord[] = ops.map((op, i) => {
      const record: JournalRecord = { seq: first + i, ts, op: op.op };
      if (op.id !== undefined) record.id = op.id;
      if (i === 0 && ops.length > 1) record.tx = ops.length;
      if (op.data !== undefined) record.data = op.data;
      if (op.json !== undefined) record.json = op.json;
      return record;
    });
    const path = this.#path(segment.name);
    const lines = records.map((record) => encodeRecord(record, path));
    this.#lastSeq = first + ops.length - 1;
    this.#appender ??= new Appender(path);
    const appended = await this.#appender.appendLines(lines);
    this.#size = Math.max(this.#size, appended.offset + appended.bytes);
    const position = this.#position;
    if (position?.segment === segment.name && position.offset === appended.offset) {
      this.#position = {
        segment: segment.name,
        offset: appended.offset + appended.bytes,
        line: position.line + lines.length,
      };
    }
    return { seq: first, lastSeq: first + ops.length - 1, ops: records };
  }

  #needsRotation(): boolean {
    if (this.#segment === undefined) return true;
    if (this.#size >= this.#rotateBytes) return true;
    return this.#rotateDaily && dayOf(this.#now()) > this.#segment.day;
  }

  /** Seals the current segment and starts the next one. @returns the new segment's name. */
  async rotate(): Promise<string> {
    this.#assertOpen();
    while (this.#rotating !== undefined) await this.#rotating;
    await this.#rotate();
    return this.#segment?.name ?? '';
  }

  async #rotate(): Promise<void> {
    const run = async (): Promise<void> => {
      const current = this.#segment;
      const today = dayOf(this.#now());
      // A clock that went back must not create a segment that sorts before this one.
      const day = current !== undefined && current.day > today ? current.day : today;
      const next = parseSegmentName(nextSegment(current, day));
      if (next === undefined) throw new Error('unreachable: bad segment name');
      // Sealed even when empty: a reader (or a reopen) may already have followed an earlier seal to it.
      if (current !== undefined) {
        const path = this.#path(current.name);
        this.#lastSeq += 1;
        const seal: JournalRecord = {
          seq: this.#lastSeq,
          ts: this.#now().toISOString(),
          op: SEAL_OP,
          data: { next: next.name },
        };
        this.#appender ??= new Appender(path);
        await this.#appender.appendLines([encodeRecord(seal, path)]);
      }
      await this.#switchTo(next);
    };
    this.#rotating = run();
    try {
      await this.#rotating;
    } finally {
      this.#rotating = undefined;
    }
  }

  /**
   * Reads every committed transaction with a sequence number above `afterSeq`,
   * oldest first, skipping whole segments sealed at or below it.
   * @throws {JournalCorruptError}
   */
  async *read(afterSeq = 0): AsyncGenerator<Transaction, void, undefined> {
    this.#assertOpen();
    const segments = await listSegments(this.dir);
    for (const segment of segments) {
      const path = this.#path(segment.name);
      const last = await readLastRecord(path);
      // The seal takes the sequence number after the segment's last record.
      if (last?.op === SEAL_OP && last.seq <= afterSeq + 1) continue;
      const batch: Transaction[] = [];
      await readSegment(path, { segment: segment.name, offset: 0, line: 1 }, (tx) => {
        if (tx.lastSeq > afterSeq) batch.push(tx);
      });
      yield* batch;
    }
  }

  /**
   * Runs `fn` holding the journal's cross-process lock, after cutting any
   * unfinished tail (its writer is gone: it would hold the lock) and catching
   * up with other processes' appends, which `fn` receives. Sections run one at
   * a time. The lock is kept for `holdMs` after a section (a lease), so a busy
   * process pays for it once per burst rather than once per write.
   */
  async exclusive<T>(fn: (caughtUp: Transaction[]) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const run = async (): Promise<T> => {
      this.#assertOpen();
      clearTimeout(this.#leaseTimer);
      const lease = this.#lease;
      // No stat per section: within `maxHoldMs` of taking it, a lease is only lost by a process
      // stopped past the lock's stale time, which the age check covers, or by hand, which the
      // signal reports. Either way: take a new lease and catch up.
      if (
        lease !== undefined &&
        (lease.lock.signal.aborted || Date.now() - lease.since >= this.#maxHoldMs)
      ) {
        await this.#dropLease();
      }
      let caughtUp: Transaction[] = [];
      if (this.#lease === undefined) {
        await this.#takeLease();
        // Holding the lease, nobody else appends: catching up is only needed when it is new.
        caughtUp = await this.catchUp();
        const tail = this.#tail;
        if (tail !== undefined) {
          const quarantinedTo = await this.#cut(tail);
          if (quarantinedTo !== null) this.#lastCut = { tail, quarantinedTo };
        }
      }
      try {
        return await fn(caughtUp);
      } finally {
        this.#scheduleRelease();
      }
    };
    const result = this.#exclusiveTail.then(run);
    this.#exclusiveTail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Gives the lock up now instead of keeping it `holdMs` for a next section:
   * after a one-off section (opening a store), other processes need not wait.
   */
  async release(): Promise<void> {
    await this.#exclusiveTail;
    await this.#dropLease();
  }

  async #takeLease(): Promise<void> {
    let release!: () => void;
    const releasing = new Promise<void>((resolve) => (release = resolve));
    let held!: (lock: HeldLock) => void;
    const acquired = new Promise<HeldLock>((resolve) => (held = resolve));
    const released = withLock(
      join(this.dir, LOCK_NAME),
      async (lock) => {
        held(lock);
        await releasing;
      },
      { lockTimeout: this.#lockTimeout },
    );
    const lock = await Promise.race([acquired, released.then(() => acquired)]);
    this.#lease = {
      lock,
      release,
      // A loss while leased is seen through `lock.signal`; the promise's own rejection is not news.
      released: released.catch(() => undefined),
      since: Date.now(),
    };
  }

  #scheduleRelease(): void {
    const lease = this.#lease;
    if (lease === undefined) return;
    if (Date.now() - lease.since >= this.#maxHoldMs) {
      void this.#dropLease();
      return;
    }
    clearTimeout(this.#leaseTimer);
    this.#leaseTimer = setTimeout(() => void this.#dropLease(), this.#holdMs);
    this.#leaseTimer.unref();
  }

  async #dropLease(): Promise<void> {
    clearTimeout(this.#leaseTimer);
    const lease = this.#lease;
    if (lease === undefined) return;
    this.#lease = undefined;
    lease.release();
    await lease.released;
  }

  /**
   * Cuts an unfinished tail of the newest segment, keeping its bytes in a
   * quarantine file. Takes the lock.
   * @returns what was cut, or `null`.
   */
  async repair(): Promise<JournalTailRepair | null> {
    this.#lastCut = undefined;
    return this.exclusive(async () => {
      await this.catchUp();
      const tail = this.#tail;
      if (tail !== undefined) {
        const quarantinedTo = await this.#cut(tail);
        if (quarantinedTo !== null) this.#lastCut = { tail, quarantinedTo };
      }
      const cut = this.#lastCut ?? null;
      this.#lastCut = undefined;
      return cut;
    });
  }

  async #cut(tail: PendingTail): Promise<string | null> {
    await this.#appender?.close();
    this.#appender = undefined;
    const quarantinedTo = await truncateTail(this.#path(tail.segment), tail.offset);
    this.#tail = undefined;
    this.#size = tail.offset;
    return quarantinedTo;
  }

  /**
   * Cuts the journal back to the end of the last transaction at or below
   * `seq` (for point-in-time restore): the rest of that segment and every later
   * segment are moved aside to quarantine names, never deleted. Takes the lock.
   * @returns the quarantine files written.
   */
  async truncateAfter(seq: number): Promise<string[]> {
    return this.exclusive(async () => {
      const kept: string[] = [];
      const segments = await listSegments(this.dir);
      let cutIn: { segment: SegmentName; offset: number } | undefined;
      for (const segment of segments) {
        if (cutIn !== undefined) break;
        await readSegment(
          this.#path(segment.name),
          { segment: segment.name, offset: 0, line: 1 },
          (tx, start) => {
            if (cutIn === undefined && tx.lastSeq > seq) cutIn = { segment, offset: start };
          },
        );
      }
      if (cutIn === undefined) return kept;
      await this.#appender?.close();
      this.#appender = undefined;
      const cut = await truncateTail(this.#path(cutIn.segment.name), cutIn.offset);
      if (cut !== null) kept.push(cut);
      for (const later of segments.filter((s) => compareSegments(s, cutIn?.segment ?? s) > 0)) {
        kept.push(await quarantineFile(this.#path(later.name)));
      }
      this.#segment = cutIn.segment;
      this.#position = { segment: cutIn.segment.name, offset: 0, line: 1 };
      this.#lastSeq = 0;
      this.#size = cutIn.offset;
      this.#tail = undefined;
      await this.catchUp();
      this.#lastSeq = Math.max(this.#lastSeq, seq);
      return kept;
    });
  }

  /**
   * Deletes sealed segments whose records are all at or below `throughSeq`
   * (covered by a checkpoint). The current segment is never deleted.
   * @returns the deleted segment names.
   */
  async compact(throughSeq: number): Promise<string[]> {
    this.#assertOpen();
    const segments = await listSegments(this.dir);
    const removed: string[] = [];
    for (const segment of segments.slice(0, -1)) {
      if (segment.name === this.#segment?.name) break;
      const last = await readLastRecord(this.#path(segment.name));
      if (last?.op !== SEAL_OP || last.seq > throughSeq) break;
      await nodeFs.unlink(this.#path(segment.name));
      removed.push(segment.name);
    }
    if (removed.length > 0) await fsyncDirectory(nodeFs, this.dir);
    return removed;
  }

  /** Reads every segment and reports what it holds; never throws for corruption. */
  async verify(): Promise<JournalReport> {
    this.#assertOpen();
    const segments = await listSegments(this.dir);
    const reports: SegmentReport[] = [];
    let transactions = 0;
    let lastSeq = 0;
    let tail: PendingTail | undefined;
    let error: Error | undefined;
    for (const [i, segment] of segments.entries()) {
      const report: SegmentReport = {
        segment: segment.name,
        transactions: 0,
        firstSeq: undefined,
        lastSeq: undefined,
        sealed: false,
      };
      reports.push(report);
      try {
        const read = await readSegment(
          this.#path(segment.name),
          { segment: segment.name, offset: 0, line: 1 },
          (tx) => {
            report.transactions++;
            report.firstSeq ??= tx.seq;
            report.lastSeq = tx.lastSeq;
          },
        );
        report.sealed = read.seal !== undefined;
        if (read.seal !== undefined) report.lastSeq = read.seal.seq;
        transactions += report.transactions;
        lastSeq = Math.max(lastSeq, report.lastSeq ?? 0);
        if (read.tail !== undefined) {
          if (i === segments.length - 1) tail = read.tail;
          else
            error ??= new Error(
              `${segment.name}: unfinished end in a segment that is not the newest (line ${read.tail.line})`,
            );
        }
      } catch (caught) {
        error ??= caught as Error;
      }
    }
    return {
      ok: error === undefined && tail === undefined,
      segments: reports,
      transactions,
      lastSeq,
      tail,
      error,
    };
  }

  /** Waits for pending appends and sections, releases the lock and the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#exclusiveTail;
    while (this.#rotating !== undefined) await this.#rotating;
    await this.#dropLease();
    await this.#appender?.close();
    this.#appender = undefined;
    this.#closed = true;
  }
}
