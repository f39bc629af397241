import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pc from 'picocolors';
import type { IndexCheck, LegacyIndexReport } from '@vellum/tasks';
import type { Context } from '../context.js';
import { CliError, emit } from '../output.js';
import { progress } from '../progress.js';
import { requireTaskStore, withTaskStore } from './open.js';

interface IndexVerifyReport {
  ok: boolean;
  collections: Record<string, Record<string, IndexCheck>>;
  legacy: LegacyIndexReport[];
}

function showIndexReport(context: Context, report: IndexVerifyReport): void {
  emit(context, report, () =>
    [
      ...Object.entries(report.collections).flatMap(([c, indexes]) =>
        Object.entries(indexes).map(([i, r]) =>
          r.ok
            ? `${pc.green('ok  ')} ${c}.${i}`
            : `${pc.red('DRIFT')} ${c}.${i}${r.missing + r.extra > 0 ? ` (${r.missing} missing, ${r.extra} extra)` : ''}${r.file === 'ok' || r.path === undefined ? '' : `: ${r.path} is ${r.file === 'drift' ? 'out of step with the documents' : r.file}`}`,
        ),
      ),
      ...report.legacy.map(
        (l) => `${l.ok ? pc.green('ok  ') : pc.yellow('stale')} ${l.file} (legacy, read only)`,
      ),
    ].join('\n'),
  );
}

/**
 * Compares every index, in memory and in its file, with the documents. A
 * drifted index exits 5 naming the file; only `index rebuild` rewrites it.
 */
export async function indexVerify(context: Context): Promise<void> {
  const report = await withTaskStore(
    context,
    async (store) => {
      const collections = await store.verifyIndexes();
      const legacy = await store.checkLegacyIndexes();
      const bad = Object.entries(collections).flatMap(([c, indexes]) =>
        Object.entries(indexes)
          .filter(([, r]) => !r.ok)
          .map(([i, r]) => `${c}.${i}${r.path === undefined ? '' : ` in ${r.path}`}`),
      );
      const found: IndexVerifyReport = { ok: bad.length === 0, collections, legacy };
      if (bad.length > 0) {
        // Reported while the store is open: the failed check records no metrics.
        showIndexReport(context, found);
        throw new CliError('VELLUM_INDEX_DRIFT', `index drift: ${bad.join(', ')}`, undefined, {
          reported: true,
        });
      }
      return found;
    },
    'check',
  );
  showIndexReport(context, report);
}

export async function indexRebuild(context: Context): Promise<void> {
  const bar = progress(context, 'rebuild');
  const rebuilt = await withTaskStore(context, async (store) => {
    const collections = await store.collections();
    const names: string[] = [];
    for (const [i, collection] of collections.entries()) {
      bar.update(i, collections.length, collection.name);
      names.push(
        ...(await collection.rebuildIndexes()).map((name) => `${collection.name}.${name}`),
      );
    }
    bar.update(collections.length, collections.length);
    return names;
  });
  bar.done();
  emit(context, { rebuilt }, () => `${pc.green('rebuilt')} ${rebuilt.join(', ')}`);
}

/** The journal folders, one per collection used so far. */
async function journals(context: Context): Promise<{ name: string; dir: string }[]> {
  await requireTaskStore(context);
  const walDir = join(context.tasksDir, 'wal');
  const entries = await readdir(walDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => ({ name: e.name, dir: join(walDir, e.name) }));
}

export async function journalVerify(context: Context): Promise<void> {
  const { Journal } = await import('@vellum/journal');
  const reports: {
    name: string;
    ok: boolean;
    transactions: number;
    lastSeq: number;
    segments: number;
    tail: { line: number } | null;
    error: string | null;
  }[] = [];
  for (const { name, dir } of await journals(context)) {
    const journal = await Journal.open(dir, { lockTimeout: context.lockTimeout });
    try {
      const report = await journal.verify();
      reports.push({
        name,
        ok: report.ok,
        transactions: report.transactions,
        lastSeq: report.lastSeq,
        segments: report.segments.length,
        tail: report.tail ?? null,
        error: report.error?.message ?? null,
      });
    } finally {
      await journal.close();
    }
  }
  emit(
    context,
    { ok: reports.every((r) => r.ok), journals: reports },
    () =>
      reports
        .map(
          (r) =>
            `${r.ok ? pc.green('ok  ') : pc.red('BAD ')} ${r.name.padEnd(13)} ${r.transactions} transactions in ${r.segments} segments, last seq ${r.lastSeq}${r.tail === null ? '' : pc.yellow(` unfinished tail at line ${r.tail.line}`)}${r.error === null ? '' : pc.red(` ${r.error}`)}`,
        )
        .join('\n') || pc.dim('no journals'),
  );
  const bad = reports.filter((r) => r.error !== null);
  if (bad.length > 0)
    throw new CliError(
      'VELLUM_JOURNAL_CORRUPT',
      `corrupt journal: ${bad.map((r) => r.name).join(', ')}`,
      undefined,
      { reported: true },
    );
  if (reports.some((r) => r.tail !== null))
    throw new CliError('VELLUM_TORN_TAIL', 'a journal has an unfinished tail', undefined, {
      reported: true,
    });
}

export async function journalRepair(context: Context): Promise<void> {
  const { Journal } = await import('@vellum/journal');
  const repaired: { name: string; line: number; keptAt: string }[] = [];
  for (const { name, dir } of await journals(context)) {
    const journal = await Journal.open(dir, { lockTimeout: context.lockTimeout });
    try {
      const cut = await journal.repair();
      if (cut !== null) repaired.push({ name, line: cut.tail.line, keptAt: cut.quarantinedTo });
    } finally {
      await journal.close();
    }
  }
  emit(
    context,
    { repaired },
    () =>
      repaired
        .map(
          (r) =>
            `${pc.green('repaired')} ${r.name}: cut at line ${r.line}, bytes kept at ${r.keptAt}`,
        )
        .join('\n') || 'nothing to repair',
  );
}

export async function journalCompact(context: Context): Promise<void> {
  const result = await withTaskStore(context, async (store) => {
    const out: Record<string, number> = {};
    for (const collection of await store.collections())
      out[collection.name] = (await collection.checkpoint()).seq;
    return out;
  });
  emit(context, { checkpoints: result }, () =>
    Object.entries(result)
      .map(([name, seq]) => `${pc.green('compacted')} ${name} at seq ${seq}`)
      .join('\n'),
  );
}
