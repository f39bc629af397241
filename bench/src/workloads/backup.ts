import { execFileSync } from 'node:child_process';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { StandardSchemaV1 } from '@vellum/atomic-io';
import { createBackup, restoreBackup, verifyBackup, type CreatedBackup } from '@vellum/backup';
import { Collection, arrayFileLayout } from '@vellum/collection';
import { median, sampleAll, settle } from '../measure.js';
import { atMost, rowsFrom, sizeOf, type Check, type Workload } from '../workload.js';

const TAR = 'tar -cf of the store folder (ceiling)';
const TAR_SYNC = 'tar -cf + fsync of the archive (reference)';
const CHECKPOINT = 'collection.checkpoint() alone (nothing pending)';
const CREATE = '@vellum/backup createBackup, array file layout';
const VERIFY = '@vellum/backup verifyBackup';
const AFTER_WRITES = 'createBackup after 1,000 writes (checkpoints first)';
const NO_CHECKPOINT = 'createBackup after 1,000 more writes, checkpoint: false';
const RESTORE = '@vellum/backup restoreBackup';

/** Puts per transaction while building the store, and per burst of writes before a backup. */
const BATCH = 1000;

interface Ticket {
  readonly id: string;
  readonly title: string;
  readonly status: string;
  readonly priority: number;
  readonly assignee: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly created_at: string;
}
type TicketCollection = Collection<Ticket>;

/** Accepts any object: validation is not what is measured. */
const anything: StandardSchemaV1<unknown, Ticket> = {
  '~standard': { version: 1, vendor: 'bench', validate: (value) => ({ value: value as Ticket }) },
};

const STATUSES = ['open', 'in_progress', 'review', 'closed'];
const WORDS = ['login', 'export', 'report', 'cache', 'sync', 'crash', 'slow', 'button', 'error'];

/** Spec 002's tickets, about 300 bytes each, from a seeded generator: every run stores the same. */
function ticketMaker(): { ticket: (seq: number) => Ticket; random: () => number } {
  let seed = 42;
  const random = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const pick = (list: readonly string[]): string =>
    list[Math.floor(random() * list.length)] ?? 'error';
  const words = (count: number): string =>
    Array.from({ length: count }, () => pick(WORDS)).join(' ');
  const ticket = (seq: number): Ticket => ({
    id: `TICKET-${String(seq).padStart(6, '0')}`,
    title: words(5),
    status: pick(STATUSES),
    priority: 1 + Math.floor(random() * 4),
    assignee: `user_${Math.floor(random() * 50)}`,
    description: words(16),
    tags: [pick(WORDS), pick(WORDS)],
    created_at: new Date(1_790_000_000_000 + seq * 60_000).toISOString(),
  });
  return { ticket, random };
}

/**
 * One collection materialized as one JSON array file (spec 002's `tickets.json`), so that the
 * figures measure backup work rather than creating 100k inodes. No write-behind flush during a
 * round: the files change only when a checkpoint (or a backup's) writes them.
 */
function openTickets(root: string): Promise<TicketCollection> {
  return Collection.open({
    root,
    name: 'tickets',
    schema: anything,
    layout: arrayFileLayout({ file: 'tickets.json' }),
    indexes: { status: { key: (ticket) => ticket.status, file: 'index/by-status.json' } },
    flushDelayMs: 3_600_000,
  });
}

async function treeSize(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    // The open store's lock files come and go with its journal lease.
    const info = await stat(join(entry.parentPath, entry.name)).catch(() => undefined);
    if (info === undefined) continue;
    files++;
    bytes += info.size;
  }
  return { files, bytes };
}

async function timed(action: () => unknown): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

export const backup: Workload = {
  name: 'backup',
  async run(options) {
    const count = sizeOf(options, 'documents', 100_000, 10_000);
    const rounds = sizeOf(options, 'rounds', 5, 1);
    const root = join(options.dir, 'store');
    const { ticket, random } = ticketMaker();

    // Built once: one transaction per 1,000 puts, then a checkpoint (files, snapshot).
    const building = performance.now();
    let store: TicketCollection | undefined = await openTickets(root);
    const opened = (): TicketCollection => {
      if (store === undefined) throw new Error('the store is closed');
      return store;
    };
    try {
      for (let first = 0; first < count; first += BATCH) {
        const seqs = Array.from({ length: Math.min(BATCH, count - first) }, (_, i) => first + i);
        await store.batch(seqs.map((seq) => ({ type: 'put', doc: ticket(seq) })));
      }
      await store.checkpoint();
      const builtMs = performance.now() - building;
      const size = await treeSize(root);

      /** 1,000 updates since the last checkpoint: what a backup of a busy store finds. */
      const touch = async (round: number): Promise<void> => {
        const docs = Array.from({ length: BATCH }, () => ticket(Math.floor(random() * count)));
        await opened().batch(
          docs.map((doc) => ({ type: 'put', doc: { ...doc, title: `${doc.title} ${round}` } })),
        );
      };
      // Each round runs the steps in this order: verify and restore take the backup that
      // create made in the same round; restore brings the store back to it.
      let created: { backup: CreatedBackup; backupDir: string } | undefined;
      const latest = (): { backup: CreatedBackup; backupDir: string } => {
        if (created === undefined) throw new Error('no backup to verify or restore');
        return created;
      };
      let round = 0;
      const verified: boolean[] = [];
      const restored: number[] = [];
      const tar = async (at: string, sync: boolean): Promise<number> => {
        const archive = join(at, 'store.tar');
        const ms = await timed(async () => {
          execFileSync('tar', ['-cf', archive, '-C', root, '.']);
          if (sync) await settle(archive);
        });
        // Untimed for the ceiling, so that its pages are not written back during the next step.
        if (!sync) await settle(archive);
        await rm(archive);
        return ms;
      };
      const samples = await sampleAll(
        [
          // Page cache warm, as for the backup that follows.
          { name: TAR, sample: (at) => tar(at, false) },
          { name: TAR_SYNC, sample: (at) => tar(at, true) },
          { name: CHECKPOINT, sample: () => timed(() => opened().checkpoint()) },
          {
            name: CREATE,
            async sample(at) {
              const start = performance.now();
              const made = await createBackup({ root, backupDir: at, collections: [opened()] });
              const ms = performance.now() - start;
              created = { backup: made, backupDir: at };
              return ms;
            },
          },
          {
            name: VERIFY,
            async sample() {
              const { backup: made, backupDir } = latest();
              const start = performance.now();
              const report = await verifyBackup({ root, backupDir }, made.id);
              const ms = performance.now() - start;
              verified.push(report.ok);
              return ms;
            },
          },
          {
            name: AFTER_WRITES,
            async sample(at) {
              await touch(round);
              const start = performance.now();
              const made = await createBackup({ root, backupDir: at, collections: [opened()] });
              const ms = performance.now() - start;
              await rm(made.path, { recursive: true, force: true });
              return ms;
            },
          },
          {
            name: NO_CHECKPOINT,
            async sample(at) {
              await touch(round);
              const start = performance.now();
              const made = await createBackup({
                root,
                backupDir: at,
                collections: [opened()],
                checkpoint: false,
              });
              const ms = performance.now() - start;
              await rm(made.path, { recursive: true, force: true });
              return ms;
            },
          },
          {
            name: RESTORE,
            async sample() {
              const { backup: made, backupDir } = latest();
              await opened().close();
              store = undefined;
              const start = performance.now();
              const report = await restoreBackup({ root, backupDir }, made.id);
              const ms = performance.now() - start;
              if (report.movedAside !== null) {
                await rm(report.movedAside, { recursive: true, force: true });
              }
              await rm(made.path, { recursive: true, force: true });
              created = undefined;
              // Untimed: reopen, count, and checkpoint so the next round starts as this one did.
              store = await openTickets(root);
              restored.push(await store.count());
              await store.checkpoint();
              round++;
              return ms;
            },
          },
        ],
        rounds,
        options.dir,
      );

      const tarSyncMs = median(samples.get(TAR_SYNC) ?? []);
      const againstSync = (name: string): string =>
        `${(median(samples.get(name) ?? []) / tarSyncMs).toFixed(2)}x tar + fsync`;
      const failedVerifies = verified.filter((ok) => !ok).length;
      const verifiedCheck: Check = {
        text: failedVerifies === 0 ? 'verified' : `failed to verify in ${failedVerifies} rounds`,
        ok: failedVerifies === 0,
      };
      const short = restored.filter((n) => n !== count);
      const restoredCheck: Check = {
        text:
          short.length === 0
            ? `${count.toLocaleString('en-US')} documents back`
            : `restores brought back ${short.join(', ')} of ${count} documents`,
        ok: short.length === 0,
      };
      const mb = (size.bytes / 1e6).toFixed(1);
      return {
        workload: 'backup',
        metric: 'wall ms',
        baseline: TAR,
        counts: { documents: count, rounds, storeFiles: size.files, storeBytes: size.bytes },
        rows: rowsFrom(samples, TAR, {
          [TAR]: {
            note: `${size.files} files, ${mb} MB (store built in ${(builtMs / 1000).toFixed(1)} s)`,
          },
          [CREATE]: {
            target: (ratio) => atMost(ratio, 1.5, 'tar'),
            note: `checkpoints first (nothing pending), copies, hashes, fsyncs; ${againstSync(CREATE)}`,
          },
          [VERIFY]: { check: verifiedCheck, note: `re-hashes every file; ${againstSync(VERIFY)}` },
          [AFTER_WRITES]: { note: 'the checkpoint rewrites tickets.json and the snapshot' },
          [NO_CHECKPOINT]: { note: 'copies the last snapshot and the journal since' },
          [RESTORE]: {
            check: restoredCheck,
            note: `the current store moved aside; ${againstSync(RESTORE)}`,
          },
        }),
      };
    } finally {
      await store?.close();
    }
  },
};
