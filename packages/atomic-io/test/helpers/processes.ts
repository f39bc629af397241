/**
 * Shared helpers for the multi-process tests: spawning children (the scripts in
 * test/children import the *built* package, dist/index.js), reading their
 * line-based stdout protocol, temp directories, and the kill campaigns that
 * both test/processes and test/torture run (with different sizes).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertBuilt as assertPackageBuilt,
  mapLimit,
  spawnChild,
  spawnNode as spawnNodeScript,
  type Child,
} from '@vellum/test-utils';
import { expect } from 'vitest';
import {
  CorruptFileError,
  TornTailError,
  cleanupTempFiles,
  formatJsonLine,
  isTempName,
  readRecords,
  repairTail,
  scanRecords,
  writeJsonAtomic,
  type ReadRecordsOptions,
} from '../../src/index.js';

export const packageDir = fileURLToPath(new URL('../../', import.meta.url));

/** Absolute path of a script in test/children. */
export function childScript(name: string): string {
  return fileURLToPath(new URL(`../children/${name}`, import.meta.url));
}

/** The children import dist/: fail with a clear message when it is missing or stale. */
export function assertBuilt(): void {
  assertPackageBuilt(packageDir, 'npx -y pnpm@10.34.9 turbo run build --filter=@vellum/atomic-io');
}

export { Child, TempDirs, killLeftoverChildren, mapLimit, type ExitInfo } from '@vellum/test-utils';

/** Spawns `node test/children/<script> ...args`. */
export function spawnNode(
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Child {
  return spawnNodeScript(childScript(script), args, { env });
}

/** Spawns any command (sh, unshare...). */
export function spawnCommand(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Child {
  return spawnChild(command, args, { env });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Names of Vellum temp files in `dir`. */
export async function tempFilesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter(isTempName);
}

/** Collects every record, and the torn tail instead of throwing. */
export async function collectRecords<T = unknown>(
  path: string,
): Promise<{ values: T[]; tail: { line: number; offset: number; bytes: number } | undefined }> {
  const values: T[] = [];
  let tail: { line: number; offset: number; bytes: number } | undefined;
  for await (const record of readRecords<T>(path, { onTornTail: (found) => (tail = found) }))
    values.push(record.value);
  return { values, tail };
}

// ---------------------------------------------------------------------------
// Lock contention: N processes x M locked read-modify-write increments.
// ---------------------------------------------------------------------------

export interface ContentionResult {
  counter: unknown;
  log: string[];
  tags: string[];
}

/**
 * Starts `processes` counter children (each with `concurrency` concurrent
 * callers doing `iterations` increments in all), releases them together and
 * waits for all of them. Returns the counter file's value and the
 * critical-section log.
 */
export async function runContention(
  dir: string,
  processes: number,
  iterations: number,
  concurrency = 1,
  env: NodeJS.ProcessEnv = {},
): Promise<ContentionResult> {
  assertBuilt();
  const counter = join(dir, 'counter.json');
  const log = join(dir, 'critical.log');
  await writeJsonAtomic(counter, { n: 0 });
  await writeFile(log, '');
  const children = Array.from({ length: processes }, () =>
    spawnNode('counter.mjs', [counter, log, String(iterations), String(concurrency)], env),
  );
  // A start barrier: every child has loaded the package before any takes the lock.
  await Promise.all(children.map((child) => child.waitForText('ready')));
  for (const child of children) child.send('go');
  await Promise.all(children.map((child) => child.succeeded()));
  const tags = children.flatMap((child) =>
    Array.from({ length: concurrency }, (_, slot) => `${child.pid}:${slot}`),
  );
  const text = await readFile(log, 'utf8');
  return {
    counter: JSON.parse(await readFile(counter, 'utf8')) as unknown,
    log: text.split('\n').filter((line) => line !== ''),
    tags,
  };
}

/**
 * Asserts that critical sections never overlapped: the log is
 * `enter X`, `exit X`, `enter Y`, `exit Y`... with no interleaving, and each
 * caller entered exactly `perTag` times.
 */
export function assertNoOverlap(
  log: readonly string[],
  tags: readonly string[],
  perTag: number | ((tag: string) => number),
): void {
  const expected = (tag: string): number => (typeof perTag === 'number' ? perTag : perTag(tag));
  const entered = assertAlternation(log);
  expect(log.length).toBe(tags.reduce((sum, tag) => sum + expected(tag), 0) * 2);
  expect([...entered.keys()].sort()).toEqual([...tags].sort());
  for (const [tag, count] of entered) expect(count, `entries of ${tag}`).toBe(expected(tag));
}

/**
 * Checks only that the log strictly alternates `enter X` / `exit X`.
 * @returns how many complete sections each tag ran.
 */
export function assertAlternation(log: readonly string[]): Map<string, number> {
  const entered = new Map<string, number>();
  for (let i = 0; i < log.length; i += 2) {
    const enter = /^enter (\S+)$/.exec(log[i] ?? '');
    const exit = /^exit (\S+)$/.exec(log[i + 1] ?? '');
    if (enter === null || exit === null || enter[1] !== exit[1]) {
      throw new Error(
        `critical sections overlap at log lines ${i + 1}-${i + 2}: ${JSON.stringify(log.slice(Math.max(0, i - 2), i + 4))}`,
      );
    }
    const tag = enter[1] as string;
    entered.set(tag, (entered.get(tag) ?? 0) + 1);
  }
  return entered;
}

export interface TakeoverRace {
  counter: { n: number };
  log: string[];
  /** Each waiter's exit, with stderr when it failed. */
  failures: string[];
  completedSections: number;
}

/**
 * A holder takes the counter's lock and is then SIGKILLed (the kernel releases
 * its lock; the fallback's directory stays behind) or SIGSTOPped (the fallback's
 * lock goes stale; a kernel lock would be kept); `waiters` counter children,
 * already polling for the lock, race to take it and then do `increments` each.
 */
export async function runTakeoverRace(
  dir: string,
  holderFate: 'SIGKILL' | 'SIGSTOP',
  waiters: number,
  increments: number,
  stale: number,
  env: NodeJS.ProcessEnv = {},
): Promise<TakeoverRace> {
  assertBuilt();
  const counter = join(dir, 'counter.json');
  const log = join(dir, 'critical.log');
  await writeJsonAtomic(counter, { n: 0 });
  await writeFile(log, '');
  const holder = spawnNode('lock-actor.mjs', [counter, 'holder', String(stale), 'default'], env);
  await holder.waitForEvent('acquired');
  const children = Array.from({ length: waiters }, () =>
    spawnNode('counter.mjs', [counter, log, String(increments), '1', String(stale)], env),
  );
  await Promise.all(children.map((child) => child.waitForText('ready')));
  for (const child of children) child.send('go');
  holder.kill(holderFate);
  const exits = await Promise.all(children.map((child) => child.exited));
  holder.kill('SIGKILL');
  await holder.exited;
  const lines = (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
  return {
    counter: JSON.parse(await readFile(counter, 'utf8')) as { n: number },
    log: lines,
    failures: children.flatMap((child, i) =>
      exits[i]?.code === 0
        ? []
        : [
            `waiter ${child.pid} exited with ${String(exits[i]?.code)}: ${child.stderr
              .split('\n')
              .filter((line) => /Error/.test(line))
              .join(' | ')}`,
          ],
    ),
    completedSections: lines.filter((line) => line.startsWith('exit ')).length,
  };
}

/** Forces the fallback lock in a child (see `LOCK_MECHANISM_ENV`). */
export const FALLBACK_LOCK_ENV: NodeJS.ProcessEnv = { VELLUM_LOCK_MECHANISM: 'proper-lockfile' };

/** Asserts a takeover race kept the lock exclusive and lost nothing. */
export function assertExclusiveTakeover(race: TakeoverRace, expectedTotal: number): void {
  // Two waiters inside the critical section at once: the lock was not exclusive.
  assertAlternation(race.log);
  // Every completed read-modify-write is counted: none was overwritten by a concurrent one.
  expect(race.counter.n, 'increments lost to a concurrent critical section').toBe(
    race.completedSections,
  );
  // A race for the lock is contention, not an error: every waiter gets its turn.
  expect(race.failures, 'waiters that failed instead of waiting their turn').toEqual([]);
  expect(race.counter.n).toBe(expectedTotal);
}

// ---------------------------------------------------------------------------
// Random SIGKILLs of a writer (children/random-writer.mjs).
// ---------------------------------------------------------------------------

/**
 * The payload of value/record `seq`; must match payloadFor in
 * children/random-writer.mjs. 1-9 KB, so that records span pages and a kill
 * can tear one.
 */
export function payloadFor(seq: number): string {
  const size = 1000 + ((seq * 7919) % 8000);
  return `${seq}:`.padEnd(size, String.fromCharCode(97 + (seq % 26)));
}

interface WriterValue {
  seq: number;
  payload: string;
}

interface LogRecord {
  seq: number;
  part: number;
  payload: string;
}

export interface KillStats {
  kills: number;
  ackedWrites: number;
  ackedAppends: number;
  /** Kills after which the target held a value whose write was not acknowledged. */
  unackedNewValue: number;
  /** Kills after which the log had a torn tail that repairTail cut. */
  tornTails: number;
  /** Kills after which the log held an unacknowledged record. */
  unackedRecords: number;
  /** Temp files left by killed writers and removed by cleanupTempFiles. */
  tempFilesCleaned: number;
}

interface LaneState {
  /** Seq of the value in the target (0: no file yet). */
  fileSeq: number;
  /** Every (seq, part) acknowledged so far, as `${seq}/${part}`. */
  acked: Set<string>;
}

async function readTarget(path: string): Promise<WriterValue | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw error;
  }
  // Strict parse of the whole file: a truncated or mixed file fails here.
  return JSON.parse(text) as WriterValue;
}

/**
 * One kill cycle: start the writer at `state.fileSeq + 1`, SIGKILL it a random
 * 5-40 ms after it is ready, then check the files like a recovering process would.
 */
async function killCycle(dir: string, state: LaneState, stats: KillStats): Promise<void> {
  const target = join(dir, 'state.json');
  const log = join(dir, 'log.jsonl');
  const before = state.fileSeq;
  const child = spawnNode('random-writer.mjs', [dir, String(before + 1)]);
  await child.waitForText('ready');
  await delay(5 + Math.random() * 35);
  child.kill('SIGKILL');
  const exit = await child.exited;
  if (exit.signal !== 'SIGKILL') {
    throw new Error(`writer ended by itself (code ${String(exit.code)}): ${child.stderr}`);
  }
  stats.kills++;

  // The acknowledgements, written synchronously to a file (see random-writer.mjs).
  const ackPath = join(dir, 'acks');
  const ackLines = (await readFile(ackPath, 'utf8').catch(() => '')).split('\n');
  await rm(ackPath, { force: true });
  let lastAckedWrite = before;
  for (const line of ackLines) {
    const match = /^([wa]) (\d+)$/.exec(line);
    if (match === null) continue;
    const seq = Number(match[2]);
    if (match[1] === 'w') {
      expect(seq, 'writes are acknowledged in order').toBe(lastAckedWrite + 1);
      lastAckedWrite = seq;
      stats.ackedWrites++;
    } else {
      state.acked.add(`${seq}/0`);
      state.acked.add(`${seq}/1`);
      stats.ackedAppends++;
    }
  }

  // The target: the last acknowledged value, or the one being written (old or new).
  const value = await readTarget(target);
  if (value === null) {
    expect(lastAckedWrite, 'a target that was acknowledged exists').toBe(0);
  } else {
    expect([lastAckedWrite, lastAckedWrite + 1]).toContain(value.seq);
    expect(value).toEqual({ seq: value.seq, payload: payloadFor(value.seq) });
    if (value.seq > lastAckedWrite) stats.unackedNewValue++;
    state.fileSeq = value.seq;
  }
  // The backup is the value before the target's (or the target's, if the kill
  // came between keeping the backup and the rename).
  const backup = await readTarget(`${target}.bak`);
  if (backup !== null && value !== null) {
    expect([value.seq - 1, value.seq]).toContain(backup.seq);
    expect(backup.payload).toBe(payloadFor(backup.seq));
  }

  // The log: a torn tail may follow the last acknowledged append; cut it (the
  // check below then proves it held no acknowledged record).
  if ((await repairTail(log)) !== null) stats.tornTails++;
  const { values, tail } = await collectRecords<LogRecord>(log);
  expect(tail, 'no torn tail after repairTail').toBeUndefined();
  const present = new Set<string>();
  let previous = -1;
  for (const record of values) {
    const order = record.seq * 2 + record.part;
    expect(order, 'records are in append order, without duplicates').toBeGreaterThan(previous);
    previous = order;
    expect(record.payload).toBe(payloadFor(record.seq * 2 + record.part));
    expect(record.seq, 'an append follows the write of the same seq').toBeLessThanOrEqual(
      state.fileSeq,
    );
    present.add(`${record.seq}/${record.part}`);
  }
  for (const key of state.acked) {
    if (!present.has(key)) throw new Error(`acknowledged record ${key} is missing from ${log}`);
  }
  if (present.size > state.acked.size) stats.unackedRecords++;
  // Unacknowledged records that survived count as written from now on.
  for (const key of present) state.acked.add(key);

  // Start-up cleanup removes what the killed writer left.
  stats.tempFilesCleaned += (await cleanupTempFiles(dir)).length;
  expect(await tempFilesIn(dir)).toEqual([]);

  // Keep each check cheap: start a new log once this one is verified and large.
  if (values.length > 400) {
    await rm(log);
    state.acked.clear();
  }
}

/**
 * `kills` random SIGKILLs spread over `lanes` directories, each lane running
 * its writer children one after the other.
 */
export async function runRandomKills(
  root: string,
  kills: number,
  lanes: number,
): Promise<KillStats> {
  assertBuilt();
  const stats: KillStats = {
    kills: 0,
    ackedWrites: 0,
    ackedAppends: 0,
    unackedNewValue: 0,
    tornTails: 0,
    unackedRecords: 0,
    tempFilesCleaned: 0,
  };
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      const dir = join(root, `lane-${lane}`);
      await mkdir(dir);
      const state: LaneState = { fileSeq: 0, acked: new Set() };
      const share = Math.floor(kills / lanes) + (lane < kills % lanes ? 1 : 0);
      for (let i = 0; i < share; i++) await killCycle(dir, state, stats);
    }),
  );
  return stats;
}

// ---------------------------------------------------------------------------
// A SIGKILL at every fs call boundary (children/kill-at-call.mjs).
// ---------------------------------------------------------------------------

export type BoundaryScenario =
  | 'write-existing'
  | 'write-new'
  | 'write-copy-backup'
  | 'write-short-writes'
  | 'append-existing'
  | 'append-new'
  | 'append-short-writes';

export interface BoundaryOptions {
  /** Size of the new JSON value / of each appended record, in bytes. */
  size: number;
  /** Records per append batch. */
  batch: number;
  /** Largest write the fs layer lets through in one call (short writes). */
  maxWrite: number;
}

const OLDER = { version: 'older', list: [1, 2, 3] };
const OLD = { version: 'old', text: 'the value before the write' };

function newValue(size: number): { version: string; text: string } {
  return { version: 'new', text: 'n'.repeat(size) };
}

function oldRecords(): { seq: number; text: string }[] {
  return [1, 2, 3].map((seq) => ({ seq, text: `old record ${seq}` }));
}

function newRecords(options: BoundaryOptions): { seq: number; text: string }[] {
  return Array.from({ length: options.batch }, (_, i) => ({
    seq: 4 + i,
    text: `${i}`.padEnd(options.size, 'r'),
  }));
}

async function prepareBoundaryDir(dir: string, scenario: BoundaryScenario): Promise<void> {
  const target = join(dir, 'target.json');
  const log = join(dir, 'log.jsonl');
  if (
    scenario === 'write-existing' ||
    scenario === 'write-copy-backup' ||
    scenario === 'write-short-writes'
  ) {
    await writeJsonAtomic(target, OLDER);
    await writeJsonAtomic(target, OLD, { backup: true });
  }
  if (scenario === 'append-existing' || scenario === 'append-short-writes') {
    await writeFile(
      log,
      oldRecords()
        .map((record) => formatJsonLine(record))
        .join(''),
    );
  }
}

export interface BoundaryRun {
  /** Kill before call `killAt` (calls.length + 1: after the promise resolved). */
  killAt: number;
  target: unknown;
  backup: unknown;
  records: unknown[];
  tornTail: boolean;
  tempFilesBeforeCleanup: number;
}

export interface BoundaryCampaign {
  /** The fs calls of one uninterrupted run, in order, e.g. `rename target.json`. */
  calls: string[];
  runs: BoundaryRun[];
}

function childArgs(
  scenario: BoundaryScenario,
  dir: string,
  killAt: number,
  options: BoundaryOptions,
): string[] {
  return [
    scenario,
    dir,
    String(killAt),
    String(options.size),
    String(options.batch),
    String(options.maxWrite),
  ];
}

async function readJsonOrNull(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Counts the fs calls of one write (or append), then SIGKILLs a child before
 * each call in turn, and after the last one, checking the files after each kill.
 */
export async function killAtEveryBoundary(
  root: string,
  scenario: BoundaryScenario,
  options: BoundaryOptions,
  parallel = 2,
): Promise<BoundaryCampaign> {
  assertBuilt();
  const countDir = join(root, `${scenario}-count`);
  await mkdir(countDir);
  await prepareBoundaryDir(countDir, scenario);
  const counter = spawnNode('kill-at-call.mjs', childArgs(scenario, countDir, 0, options));
  await counter.succeeded();
  const done = counter.lastEvent<{ calls: string[] }>('done');
  if (done === undefined)
    throw new Error(`no call count from the child: ${counter.lines.join('\n')}`);
  const calls = done.calls;
  expect(calls.length).toBeGreaterThan(2);

  const killPoints = Array.from({ length: calls.length + 1 }, (_, i) => i + 1);
  const runs = await mapLimit(killPoints, parallel, async (killAt) => {
    const dir = join(root, `${scenario}-${killAt}`);
    await mkdir(dir);
    await prepareBoundaryDir(dir, scenario);
    const child = spawnNode('kill-at-call.mjs', childArgs(scenario, dir, killAt, options));
    const exit = await child.exited;
    if (exit.signal !== 'SIGKILL') {
      throw new Error(
        `child for kill point ${killAt} was not killed (code ${String(exit.code)}): ${child.lines.join('\n')}\n${child.stderr}`,
      );
    }
    // The child names the call it died before: the same sequence as the counting run.
    expect(child.lastEvent<{ call: string }>('killing')?.call).toBe(
      calls[killAt - 1] ?? 'after-resolve',
    );
    const tempFilesBeforeCleanup = (await tempFilesIn(dir)).length;
    await cleanupTempFiles(dir);
    expect(await tempFilesIn(dir), `temp files after cleanup (kill point ${killAt})`).toEqual([]);
    const log = join(dir, 'log.jsonl');
    const { values, tail } = await collectRecords(log);
    if (tail !== undefined) {
      const repair = await repairTail(log);
      expect(repair?.records).toBe(values.length);
      expect((await collectRecords(log)).tail).toBeUndefined();
    }
    return {
      killAt,
      target: await readJsonOrNull(join(dir, 'target.json')),
      backup: await readJsonOrNull(join(dir, 'target.json.bak')),
      records: values,
      tornTail: tail !== undefined,
      tempFilesBeforeCleanup,
    } satisfies BoundaryRun;
  });
  return { calls, runs };
}

/** What the target, its backup and the log must hold after a kill at each boundary. */
export function assertBoundaryRuns(
  scenario: BoundaryScenario,
  campaign: BoundaryCampaign,
  options: BoundaryOptions,
): void {
  const { calls, runs } = campaign;
  expect(runs).toHaveLength(calls.length + 1);
  if (scenario.startsWith('write')) {
    const publish = calls.indexOf('rename target.json');
    expect(publish, `calls: ${calls.join(', ')}`).toBeGreaterThan(0);
    const keepBackup = calls.indexOf('rename target.json.bak');
    const before = scenario === 'write-new' ? null : OLD;
    const newer = newValue(options.size);
    for (const run of runs) {
      // Killed before call `killAt`: the rename ran iff it was an earlier call.
      const published = run.killAt - 1 > publish;
      expect(run.target, `target after a kill before call ${run.killAt}`).toEqual(
        published ? newer : before,
      );
      if (scenario === 'write-new') {
        expect(run.backup).toBeNull();
      } else {
        expect(keepBackup).toBeGreaterThan(-1);
        expect(keepBackup).toBeLessThan(publish);
        expect(run.backup, `backup after a kill before call ${run.killAt}`).toEqual(
          run.killAt - 1 > keepBackup ? OLD : OLDER,
        );
      }
      expect(run.records).toEqual([]);
    }
    // A kill between creating the temp file and the rename leaves it behind (then cleaned).
    expect(runs.some((run) => run.tempFilesBeforeCleanup > 0)).toBe(true);
  } else {
    const old = scenario === 'append-new' ? [] : oldRecords();
    const appended = [...old, ...newRecords(options)];
    const writes = calls.flatMap((call, index) => (call.startsWith('write ') ? [index] : []));
    expect(writes.length).toBeGreaterThan(0);
    const firstWrite = writes[0] as number;
    const lastWrite = writes[writes.length - 1] as number;
    for (const run of runs) {
      const done = run.killAt - 1; // calls that ran
      if (done <= firstWrite) {
        expect(run.records, `records after a kill before call ${run.killAt}`).toEqual(old);
        expect(run.tornTail).toBe(false);
      } else if (done > lastWrite) {
        // Written (maybe not yet fdatasynced, but SIGKILL does not lose the page cache).
        expect(run.records, `records after a kill before call ${run.killAt}`).toEqual(appended);
        expect(run.tornTail).toBe(false);
      } else {
        // Between two partial writes: the batch is torn; only complete records count.
        expect(appended.slice(0, run.records.length)).toEqual(run.records);
        expect(run.records.length).toBeGreaterThanOrEqual(old.length);
        expect(run.records.length).toBeLessThan(appended.length);
      }
      expect(run.target).toBeNull();
      expect(run.tempFilesBeforeCleanup).toBe(0);
    }
    if (scenario === 'append-short-writes') expect(runs.some((run) => run.tornTail)).toBe(true);
  }
}

// ---------------------------------------------------------------------------
// JSONL files cut at every byte offset, and single flipped bytes.
// ---------------------------------------------------------------------------

export interface Row {
  seq: number;
  text: string;
  sum: string;
}

function rowChecksum(seq: number, text: string): string {
  return createHash('sha256').update(`${seq}\n${text}`).digest('hex').slice(0, 16);
}

/** Records with multi-byte UTF-8, so that byte offsets and character offsets differ. */
export function checksummedRows(count: number): Row[] {
  return Array.from({ length: count }, (_, i) => {
    const seq = i + 1;
    const text = `record ${seq} — ünïcødé ✓ ${'x'.repeat((seq % 17) * 3)} 🙂`;
    return { seq, text, sum: rowChecksum(seq, text) };
  });
}

/** A per-line checksum: any changed byte of a record is detected, not only broken JSON. */
export const verifyRow: NonNullable<ReadRecordsOptions['verify']> = (value) => {
  const row = value as Partial<Row>;
  return (
    typeof row.seq === 'number' &&
    typeof row.text === 'string' &&
    row.sum === rowChecksum(row.seq, row.text)
  );
};

/** The JSONL bytes of `records` and the byte offset just past each line. */
export function encodeRows(records: readonly Row[]): { bytes: Buffer; ends: number[] } {
  const lines = records.map((record) => Buffer.from(formatJsonLine(record), 'utf8'));
  const ends: number[] = [];
  let end = 0;
  for (const line of lines) ends.push((end += line.length));
  return { bytes: Buffer.concat(lines), ends };
}

async function readAllRows(
  path: string,
  options: ReadRecordsOptions = {},
): Promise<{ values: Row[]; error: unknown }> {
  const values: Row[] = [];
  try {
    for await (const record of readRecords<Row>(path, options)) values.push(record.value);
    return { values, error: undefined };
  } catch (error) {
    return { values, error };
  }
}

async function quarantineFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter(
    (name) => name.includes('.torn-') || name.includes('.corrupt-'),
  );
}

/**
 * Writes `records` cut at every byte offset from the start of record
 * `fromIndex` to the end, and checks readRecords and repairTail at each cut.
 * @returns how many cuts left a torn tail.
 */
export async function assertEveryCut(
  dir: string,
  records: readonly Row[],
  fromIndex: number,
): Promise<number> {
  const { bytes, ends } = encodeRows(records);
  const firstCut = fromIndex === 0 ? 0 : (ends[fromIndex - 1] as number);
  const path = join(dir, 'log.jsonl');
  let torn = 0;
  for (let cut = firstCut; cut <= bytes.length; cut++) {
    await writeFile(path, bytes.subarray(0, cut));
    // Complete: the line and its newline are in, or the JSON is whole and only the newline is missing.
    const complete = ends.filter((end) => end - 1 <= cut).length;
    const goodEnd = complete === 0 ? 0 : (ends[complete - 1] as number);
    const tornBytes = cut > goodEnd ? cut - goodEnd : 0;
    const expected = records.slice(0, complete);

    const { values, error } = await readAllRows(path, { verify: verifyRow });
    expect(values, `records read at cut ${cut}`).toEqual(expected);
    if (tornBytes === 0) {
      expect(error, `cut ${cut} is on a record boundary`).toBeUndefined();
      expect(await repairTail(path, { verify: verifyRow })).toBeNull();
      expect(await readFile(path)).toEqual(bytes.subarray(0, cut));
      expect(await quarantineFiles(dir)).toEqual([]);
      continue;
    }
    torn++;
    expect(error, `cut ${cut}`).toBeInstanceOf(TornTailError);
    const tail = (error as TornTailError).tail;
    expect(error).toMatchObject({ code: 'VELLUM_TORN_TAIL' });
    expect(tail).toEqual({
      line: complete + 1,
      offset: goodEnd,
      bytes: tornBytes,
      reason: 'incomplete-line',
    });
    // The callback form reports the same tail instead of throwing.
    const told: unknown[] = [];
    const viaCallback = await readAllRows(path, {
      verify: verifyRow,
      onTornTail: (found) => told.push(found),
    });
    expect(viaCallback).toEqual({ values: expected, error: undefined });
    expect(told).toEqual([tail]);

    const repair = await repairTail(path, { verify: verifyRow });
    expect(repair?.records).toBe(complete);
    expect(repair?.tail).toEqual(tail);
    expect(await readFile(path), `file after repair at cut ${cut}`).toEqual(
      bytes.subarray(0, goodEnd),
    );
    expect(await readFile(repair?.quarantinedTo ?? ''), `quarantined bytes at cut ${cut}`).toEqual(
      bytes.subarray(goodEnd, cut),
    );
    expect(await scanRecords(path, { verify: verifyRow })).toEqual({
      records: complete,
      tail: undefined,
    });
    const kept = await quarantineFiles(dir);
    expect(kept).toHaveLength(1);
    await Promise.all(kept.map((name) => unlink(join(dir, name))));
  }
  return torn;
}

/**
 * Flips every byte of record `index` with each mask: CorruptFileError at that
 * line, the earlier records read, repairTail refuses and the file is untouched.
 * The record's newline is flipped too, except for the last-but-one record:
 * without its newline it merges with the last line, and a bad last line is a
 * torn tail by the documented rule, not corruption.
 * @returns the number of flips checked.
 */
export async function assertFlipsDetected(
  dir: string,
  records: readonly Row[],
  index: number,
  masks: readonly number[],
): Promise<number> {
  const { bytes, ends } = encodeRows(records);
  const start = index === 0 ? 0 : (ends[index - 1] as number);
  if (index >= records.length - 1) throw new Error('a bad last record is a torn tail');
  const end = (ends[index] as number) - (index === records.length - 2 ? 1 : 0);
  const path = join(dir, 'log.jsonl');
  let flips = 0;
  for (let position = start; position < end; position++) {
    for (const mask of masks) {
      const flipped = Buffer.from(bytes);
      flipped[position] = (flipped[position] as number) ^ mask;
      await writeFile(path, flipped);
      const where = `record ${index + 1}, byte ${position} ^ 0x${mask.toString(16)}`;
      const { values, error } = await readAllRows(path, { verify: verifyRow });
      expect(error, where).toBeInstanceOf(CorruptFileError);
      expect((error as CorruptFileError).line, where).toBe(index + 1);
      expect((error as CorruptFileError).code).toBe('VELLUM_CORRUPT_FILE');
      expect(values, where).toEqual(records.slice(0, index));

      const repaired: unknown = await repairTail(path, { verify: verifyRow }).catch(
        (caught: unknown) => caught,
      );
      expect(repaired, where).toBeInstanceOf(CorruptFileError);
      expect((repaired as CorruptFileError).line, where).toBe(index + 1);
      expect(await readFile(path), `file untouched after ${where}`).toEqual(flipped);
      expect(await quarantineFiles(dir)).toEqual([]);
      flips++;
    }
  }
  return flips;
}

// ---------------------------------------------------------------------------
// A full disk: a 64 KiB tmpfs in a user+mount namespace, or ulimit -f.
// ---------------------------------------------------------------------------

export type DiskFullMode = 'tmpfs' | 'ulimit';

/**
 * Whether an unprivileged user+mount namespace can mount a tmpfs here
 * (`unshare -rm`). Where it cannot, the ENOSPC cases fall back to `ulimit -f`.
 */
export function tmpfsWorks(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'vellum-probe-'));
  try {
    const probe = spawnSync(
      'unshare',
      ['-rm', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1"', 'sh', dir],
      {
        stdio: 'ignore',
      },
    );
    return probe.status === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The modes available here: ulimit always, tmpfs where unshare works. */
export function diskFullModes(): DiskFullMode[] {
  return tmpfsWorks() ? ['tmpfs', 'ulimit'] : ['ulimit'];
}

/**
 * Runs `node test/children/<script> ...args` with `dir` mounted as a 64 KiB
 * tmpfs (ENOSPC; only the child sees the mount) or under a 64 KiB file size
 * limit (EFBIG).
 */
export function startOnFullDisk(
  mode: DiskFullMode,
  dir: string,
  script: string,
  args: readonly string[],
): Child {
  assertBuilt();
  const node = [process.execPath, childScript(script), ...args];
  if (mode === 'tmpfs') {
    return spawnCommand('unshare', [
      '-rm',
      'sh',
      '-c',
      'dir="$1"; shift; mount -t tmpfs -o size=64k tmpfs "$dir" && exec "$@"',
      'sh',
      dir,
      ...node,
    ]);
  }
  // dash counts ulimit -f in 512-byte blocks: 128 is 64 KiB (the child reports the limit it got).
  return spawnCommand('sh', ['-c', 'ulimit -f 128 && exec "$@"', 'sh', ...node]);
}

/** Waits for a child's success and returns its last `result` event. */
export async function childResult<T extends object>(child: Child): Promise<T> {
  await child.succeeded();
  const event = child.lastEvent<T>('result');
  if (event === undefined)
    throw new Error(`no result from the child:\n${child.lines.join('\n')}\n${child.stderr}`);
  return event;
}

export interface FuzzResult {
  counts: {
    writeOk: number;
    writeFull: number;
    appendOk: number;
    appendFull: number;
    truncations: number;
  };
  violations: string[];
}

/** children/disk-full-fuzz.mjs: random writes and appends on a full disk, checked after each. */
export async function runDiskFullFuzz(
  mode: DiskFullMode,
  dir: string,
  iterations: number,
  seed: number,
): Promise<FuzzResult> {
  return childResult<FuzzResult>(
    startOnFullDisk(mode, dir, 'disk-full-fuzz.mjs', [dir, String(iterations), String(seed)]),
  );
}
