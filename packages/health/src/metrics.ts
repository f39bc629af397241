import { resolve } from 'node:path';
import {
  Appender,
  CorruptFileError,
  ensureDir,
  openOrNull,
  repairTail,
  ValidationError,
  withLock,
  type FsLayer,
  type ValidationIssue,
} from '@vellum/atomic-io';
import { InvalidMetricError, messageOf } from './errors.js';
import {
  addToSummary,
  metricsFile,
  type MetricLine,
  type MetricsSummary,
} from './metrics-summary.js';

/** What `record` takes: a collection's `OperationMetric`, or the same shape from elsewhere. */
export interface MetricInput {
  /** ISO-8601; default: now. */
  timestamp?: string | Date | undefined;
  operation: string;
  duration_ms: number;
  /** `ok` is written as spec 000's `success`. */
  status: string;
  result_count?: number | undefined;
}

export interface MetricsRecorderOptions {
  /** The folder of the daily files, `<dir>/YYYY-MM-DD.jsonl` (spec 000). Created on the first flush. */
  dir: string;
  /** Flush once this many records wait. Default 512. */
  flushEvery?: number | undefined;
  /** Flush this long after the first waiting record. Default 1,000 ms. */
  flushIntervalMs?: number | undefined;
  /** At most this many records wait (a failing disk must not eat memory); more are dropped and counted. Default 10,000. */
  maxBuffered?: number | undefined;
  /** Lock timeout for a flush (several processes share the daily file). Default 10 s. */
  lockTimeout?: number | undefined;
  /** Told when a flush started by the recorder itself fails. Default: one process warning per run of failures. */
  onError?: ((error: unknown) => void) | undefined;
  /** File-system layer for the appends, to count or inject faults in tests. */
  fs?: FsLayer | undefined;
}

export interface RecorderCounts {
  /** Accepted by `record`. */
  recorded: number;
  /** Durably appended. */
  written: number;
  /** Dropped: over `maxBuffered`, or recorded after `close()`. */
  dropped: number;
  /** Waiting for the next flush. */
  buffered: number;
  /** Appends made (one per daily file per flush). */
  appends: number;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T[^Z]*Z$/;

function positiveInteger(
  value: unknown,
  fallback: number,
  path: string,
  issues: ValidationIssue[],
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    issues.push({ path: [path], message: 'must be a positive integer' });
    return fallback;
  }
  return value;
}

function toLine(metric: MetricInput): MetricLine {
  if (typeof metric !== 'object' || metric === null) throw new InvalidMetricError('not an object');
  const { operation, duration_ms: duration, status, result_count: count } = metric;
  if (typeof operation !== 'string' || operation === '')
    throw new InvalidMetricError('operation must be a non-empty string');
  if (typeof duration !== 'number' || !Number.isFinite(duration) || duration < 0)
    throw new InvalidMetricError(`${operation}: duration_ms must be a finite number ≥ 0`);
  if (typeof status !== 'string' || status === '')
    throw new InvalidMetricError(`${operation}: status must be a non-empty string`);
  if (count !== undefined && (!Number.isSafeInteger(count) || count < 0))
    throw new InvalidMetricError(`${operation}: result_count must be an integer ≥ 0`);
  let timestamp: string;
  const given = metric.timestamp;
  if (typeof given === 'string' && ISO_UTC.test(given)) timestamp = given;
  else {
    const date = given === undefined ? new Date() : new Date(given);
    if (Number.isNaN(date.getTime()))
      throw new InvalidMetricError(`${operation}: timestamp ${String(given)} is not a date`);
    timestamp = date.toISOString();
  }
  // Spec 000's member order; microsecond precision is plenty and keeps lines short.
  const line: MetricLine = {
    timestamp,
    operation,
    duration_ms: Math.round(duration * 1000) / 1000,
    status: status === 'ok' ? 'success' : status,
  };
  if (count !== undefined) line.result_count = count;
  return line;
}

/** Whether `path` exists and its last byte is not a newline: one byte read. */
async function endsMidLine(path: string): Promise<boolean> {
  const handle = await openOrNull(path);
  if (handle === null) return false;
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}

/**
 * Records operation metrics as spec 000's JSONL, one file per UTC day, in
 * batches: `record` only buffers (synchronous, never touches the disk), and a
 * flush appends everything waiting with one durable append per daily file,
 * holding that file's lock so several processes can share it. Plug it into a
 * collection with `onOperation: recorder.record`.
 *
 * A crash loses what was recorded since the last flush: at most `flushEvery`
 * records or `flushIntervalMs` of them.
 */
export class MetricsRecorder {
  readonly dir: string;
  readonly #flushEvery: number;
  readonly #flushIntervalMs: number;
  readonly #maxBuffered: number;
  readonly #lockTimeout: number | undefined;
  readonly #onError: (error: unknown) => void;
  readonly #fs: FsLayer | undefined;
  readonly #appenders = new Map<string, Appender>();
  readonly #summary: MetricsSummary = {};
  #buffer: MetricLine[] = [];
  #timer: NodeJS.Timeout | undefined;
  #queued: Promise<void> | undefined;
  #chain: Promise<void> = Promise.resolve();
  #dirReady = false;
  #failing = false;
  #closed = false;
  #counts = { recorded: 0, written: 0, dropped: 0, appends: 0 };

  /** @throws {ValidationError} the options are unusable. */
  constructor(options: MetricsRecorderOptions) {
    const issues: ValidationIssue[] = [];
    if (typeof options?.dir !== 'string' || options.dir === '')
      issues.push({ path: ['dir'], message: 'must be a non-empty string' });
    this.#flushEvery = positiveInteger(options?.flushEvery, 512, 'flushEvery', issues);
    this.#flushIntervalMs = positiveInteger(
      options?.flushIntervalMs,
      1000,
      'flushIntervalMs',
      issues,
    );
    this.#maxBuffered = positiveInteger(options?.maxBuffered, 10_000, 'maxBuffered', issues);
    const lockTimeout: unknown = options?.lockTimeout;
    if (lockTimeout !== undefined && (typeof lockTimeout !== 'number' || !(lockTimeout >= 0)))
      issues.push({ path: ['lockTimeout'], message: 'must be a number ≥ 0' });
    if (issues.length > 0) throw new ValidationError('MetricsRecorder options', issues);
    this.dir = resolve(options.dir);
    this.#lockTimeout = options.lockTimeout;
    this.#fs = options.fs;
    this.#onError =
      options.onError ??
      ((error) => {
        if (this.#failing) return;
        process.emitWarning(
          `[@vellum/health] metrics flush to ${this.dir} failed: ${messageOf(error)}`,
          {
            code: 'VELLUM_METRICS_FLUSH_FAILED',
          },
        );
      });
  }

  /**
   * Buffers one metric; synchronous and cheap, so measuring never waits for
   * the disk. Never throws for a well-formed metric, even after `close()`
   * (it is then dropped and counted): a collection calls it on every operation.
   * Bound to the recorder: pass `recorder.record` as is.
   * @throws {InvalidMetricError} not an operation metric.
   */
  readonly record = (metric: MetricInput): void => {
    const line = toLine(metric);
    if (this.#closed || this.#buffer.length >= this.#maxBuffered) {
      this.#counts.dropped++;
      return;
    }
    this.#counts.recorded++;
    addToSummary(this.#summary, line);
    this.#buffer.push(line);
    if (this.#buffer.length < this.#flushEvery) this.#armTimer();
    // A flush waiting to start will take these records too: one is enough (and one onError).
    else if (this.#queued === undefined) this.#flushInBackground();
  };

  /** Per operation: count, errors, total and longest duration, of everything recorded here. */
  summary(): MetricsSummary {
    return structuredClone(this.#summary);
  }

  get counts(): RecorderCounts {
    return { ...this.#counts, buffered: this.#buffer.length };
  }

  #armTimer(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushInBackground();
    }, this.#flushIntervalMs);
    // Metrics must not keep a finished process alive; `close()` flushes the rest.
    this.#timer.unref();
  }

  #flushInBackground(): void {
    this.flush().catch((error: unknown) => {
      this.#onError(error);
      this.#failing = true;
    });
  }

  /**
   * Appends every buffered record durably. Flushes run one at a time; a flush
   * asked for while another waits to start joins it.
   * @throws {DiskFullError | WriteError | LockTimeoutError} the records stay buffered and are retried.
   */
  flush(): Promise<void> {
    if (this.#queued !== undefined) return this.#queued;
    const run = this.#chain.then(() => {
      this.#queued = undefined;
      return this.#write();
    });
    this.#queued = run;
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #write(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#buffer;
    this.#buffer = [];
    if (batch.length === 0) return;
    const byDay = new Map<string, MetricLine[]>();
    for (const line of batch) {
      const day = line.timestamp.slice(0, 10);
      const lines = byDay.get(day);
      if (lines === undefined) byDay.set(day, [line]);
      else lines.push(line);
    }
    try {
      if (!this.#dirReady) {
        await ensureDir(this.dir);
        this.#dirReady = true;
      }
      for (const [day, lines] of byDay) {
        await this.#append(day, lines);
        byDay.delete(day);
        this.#counts.written += lines.length;
        this.#counts.appends++;
      }
      this.#failing = false;
    } catch (error) {
      this.#requeue([...byDay.values()].flat());
      throw error;
    } finally {
      if (this.#buffer.length > 0) this.#armTimer();
    }
  }

  /** Puts unwritten records back in front, in order, keeping within `maxBuffered`. */
  #requeue(lines: MetricLine[]): void {
    const merged = [...lines, ...this.#buffer];
    const over = merged.length - this.#maxBuffered;
    if (over > 0) {
      this.#counts.dropped += over;
      merged.splice(0, over);
    }
    this.#buffer = merged;
  }

  async #append(day: string, lines: MetricLine[]): Promise<void> {
    const path = metricsFile(this.dir, day);
    let appender = this.#appenders.get(path);
    if (appender === undefined) {
      // Records arrive in time order: an earlier day's file is finished.
      for (const [other, old] of this.#appenders) {
        this.#appenders.delete(other);
        await old.close();
      }
      appender = new Appender(path, this.#fs === undefined ? {} : { fs: this.#fs });
      this.#appenders.set(path, appender);
    }
    const target = appender;
    await withLock(
      path,
      async () => {
        // Holding the lock, a line without its newline is a dead writer's torn append:
        // cut it (kept aside), or our records would follow garbage and read as corrupt.
        if (await endsMidLine(path)) {
          await repairTail(path).catch((error: unknown) => {
            // Damage mid-file is not ours to cut: append after it all the same.
            if (!(error instanceof CorruptFileError)) throw error;
          });
        }
        await target.append(lines);
      },
      this.#lockTimeout === undefined ? {} : { lockTimeout: this.#lockTimeout },
    );
  }

  /**
   * Flushes what is buffered and releases the files. Records arriving later are dropped.
   * @throws {DiskFullError | WriteError | LockTimeoutError} the last flush failed; those records are lost.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    try {
      await this.flush();
    } finally {
      for (const appender of this.#appenders.values()) await appender.close();
      this.#appenders.clear();
    }
  }
}
