// Store operations end to end: `vellum index verify|rebuild`, `vellum journal
// verify|repair|compact`, `vellum health`, and what they do on a damaged store.
import { existsSync } from 'node:fs';
import { appendFile, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  expectExit,
  expectHumanError,
  expectJsonError,
  expectOk,
  okJson,
  parseJson,
  removeTempRoots,
  run,
  seeded,
  SUITE_TIMEOUT_MS,
  tempRoot,
  vellumIn,
} from './helpers.js';
import { spawnVellumIn } from './spawn.js';

afterAll(removeTempRoots);

const COLLECTIONS = ['integrations', 'sessions', 'states', 'tasks', 'workflows'];

interface JournalReport {
  name: string;
  ok: boolean;
  transactions: number;
  lastSeq: number;
  segments: number;
  tail: { line: number; segment?: string } | null;
  error: string | null;
}
interface HealthReport {
  status: 'ok' | 'degraded' | 'failing';
  checkedAt: string;
  issues: { code: string; severity: string; message: string; path?: string; fix?: string }[];
  checks: Record<string, string>;
}

async function walSegment(root: string, collection = 'tasks'): Promise<string> {
  const dir = join(root, '.ap-state', 'wal', collection);
  const [segment] = (await readdir(dir)).filter((n) => n.endsWith('.wal'));
  if (segment === undefined) throw new Error(`no segment in ${dir}`);
  return join(dir, segment);
}

describe.concurrent('store operations', { timeout: SUITE_TIMEOUT_MS }, () => {
  it('index verify and index rebuild', async () => {
    const { v } = await seeded('index');
    const verified = expectOk(await v('index', 'verify'));
    const lines = verified.stdout.trimEnd().split('\n');
    expect(lines).toContain('ok   tasks.status');
    expect(lines).toContain('ok   integrations.type');
    expect(lines.every((l) => l.startsWith('ok   '))).toBe(true);
    const report = okJson<{
      ok: boolean;
      collections: Record<string, Record<string, { ok: boolean; missing: number; extra: number }>>;
      legacy: unknown[];
    }>(await v('index', 'verify', '--json'));
    expect(report.ok).toBe(true);
    expect(Object.keys(report.collections).sort()).toEqual(COLLECTIONS);
    expect(report.collections.tasks?.status).toMatchObject({ ok: true, missing: 0, extra: 0 });
    expect(report.legacy).toEqual([]);

    const rebuilt = expectOk(await v('index', 'rebuild'));
    expect(rebuilt.stdout).toMatch(/^rebuilt tasks\.status, .*tasks\.search.*\n$/);
    const json = okJson<{ rebuilt: string[] }>(await v('index', 'rebuild', '--json'));
    expect(json.rebuilt).toEqual(
      expect.arrayContaining(['tasks.status', 'tasks.story', 'integrations.type']),
    );
    expect(okJson<{ ok: boolean }>(await v('index', 'verify', '--json')).ok).toBe(true);
  });

  it('journal verify, compact and repair on a sound store', async () => {
    const { root, v } = await seeded('journal');
    const verified = expectOk(await v('journal', 'verify'));
    expect(verified.stdout).toMatch(/^ok {3}tasks +1 transactions in 1 segments, last seq \d+$/m);
    const report = okJson<{ ok: boolean; journals: JournalReport[] }>(
      await v('journal', 'verify', '--json'),
    );
    expect(report.ok).toBe(true);
    // a collection gets its journal when first used: the seed used only tasks
    expect(report.journals.map((j) => j.name)).toEqual(['tasks']);
    expect(report.journals.find((j) => j.name === 'tasks')).toMatchObject({
      ok: true,
      transactions: 1,
      segments: 1,
      tail: null,
      error: null,
    });

    expect(expectOk(await v('journal', 'repair')).stdout).toBe('nothing to repair\n');
    expect(okJson(await v('journal', 'repair', '--json'))).toEqual({ repaired: [] });

    const compacted = expectOk(await v('journal', 'compact'));
    expect(compacted.stdout).toMatch(/^compacted tasks at seq \d+$/m);
    expect(compacted.stdout.trimEnd().split('\n')).toHaveLength(COLLECTIONS.length);
    const seq = report.journals.find((j) => j.name === 'tasks')?.lastSeq;
    expect(
      okJson<{ checkpoints: Record<string, number> }>(await v('journal', 'compact', '--json')),
    ).toMatchObject({ checkpoints: { tasks: seq, sessions: 0 } });
    const checkpoint = JSON.parse(
      await readFile(join(root, '.ap-state', '.vellum', 'tasks', 'checkpoint.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(JSON.stringify(checkpoint)).toContain(String(seq));

    // the store still reads the same, and writes continue after a compaction
    expectExit(await v('tasks', 'add', 'Test the login form', '--story', '1', '-q'), 0);
    expect(okJson<{ total: number }>(await v('tasks', 'list', '--json')).total).toBe(3);
    expect(okJson<{ ok: boolean }>(await v('journal', 'verify', '--json')).ok).toBe(true);
  });

  it('a torn journal tail: verify exits 5, repair cuts it and keeps the bytes', async () => {
    const { root, v } = await seeded('torn');
    const segment = await walSegment(root);
    const sound = await readFile(segment);
    const tailLine = sound.toString('utf8').split('\n').length; // the line after the last record
    await appendFile(segment, '{"seq":999,"ts":"2026-');

    const found = expectExit(await v('journal', 'verify'), 5);
    expect(found.stdout).toMatch(
      new RegExp(`^BAD {2}tasks .* unfinished tail at line ${tailLine}$`, 'm'),
    );
    expect(found.stderr).toBe(
      'error VELLUM_TORN_TAIL: a journal has an unfinished tail (run `vellum journal repair`)\n',
    );
    // --json: exit 5 and one document, the report itself
    const json = await v('journal', 'verify', '--json');
    expectExit(json, 5);
    expect(json.stderr).toBe('');
    const report = parseJson<{ ok: boolean; journals: JournalReport[] }>(json);
    expect(report.ok).toBe(false);
    expect(report.journals.find((j) => j.name === 'tasks')).toMatchObject({
      ok: false,
      tail: { line: tailLine, reason: 'incomplete-line' },
      error: null,
    });

    const repaired = expectOk(await v('journal', 'repair'));
    expect(repaired.stdout).toMatch(
      new RegExp(`^repaired tasks: cut at line ${tailLine}, bytes kept at .*\\.wal\\.torn-\\S+\n$`),
    );
    expect(await readFile(segment)).toEqual(sound);
    const kept = (await readdir(join(root, '.ap-state', 'wal', 'tasks'))).filter((n) =>
      n.includes('.torn-'),
    );
    expect(kept).toHaveLength(1);
    expect(await readFile(join(root, '.ap-state', 'wal', 'tasks', kept[0] ?? ''), 'utf8')).toBe(
      '{"seq":999,"ts":"2026-',
    );
    expect(okJson<{ ok: boolean }>(await v('journal', 'verify', '--json')).ok).toBe(true);
    expect(okJson<{ total: number }>(await v('tasks', 'list', '--json')).total).toBe(2);

    // --json repair reports what it cut
    await appendFile(segment, '{"seq":1000');
    const again = okJson<{ repaired: { name: string; line: number; keptAt: string }[] }>(
      await v('journal', 'repair', '--json'),
    );
    expect(again.repaired).toEqual([
      { name: 'tasks', line: tailLine, keptAt: expect.stringContaining('.torn-') as unknown },
    ]);
  });

  it('a corrupt journal record (not a torn tail): exit 5, nothing repaired', async () => {
    const { root, v } = await seeded('corrupt-journal');
    const segment = await walSegment(root);
    const text = await readFile(segment, 'utf8');
    await writeFile(
      segment,
      text.replace('"content":"Design the login form"', '"content":"Design the log1n form"'),
    );
    const damaged = await readFile(segment);

    const verify = expectHumanError(await v('journal', 'verify'), 5, 'VELLUM_JOURNAL_CORRUPT');
    expect(verify.stderr).toContain(`${segment}:1`);
    const json = expectJsonError(
      await v('journal', 'verify', '--json'),
      5,
      'VELLUM_JOURNAL_CORRUPT',
    );
    expect(json.error.message).toContain('not torn');
    expectHumanError(await v('journal', 'repair'), 5, 'VELLUM_JOURNAL_CORRUPT');
    expectJsonError(await v('tasks', 'list', '--json'), 5, 'VELLUM_JOURNAL_CORRUPT');
    expect(await readFile(segment)).toEqual(damaged);
  });

  it('journal compact, then the snapshot and a task file lost: the task comes back from the journal, and health says what it rebuilt', async () => {
    const { root, v } = await seeded('double-fault');
    expectOk(await v('journal', 'compact'));
    const state = join(root, '.ap-state');
    const file = join(state, 'tasks', 'active', 'TASK-001-002.json');
    const task = JSON.parse(await readFile(file, 'utf8')) as { id: string; content: string };
    await rm(join(state, '.vellum', 'tasks', 'snapshot.jsonl'));
    await rm(file);
    const report = okJson<HealthReport>(await v('health', '--json'));
    expect(report.issues).toContainEqual(
      expect.objectContaining({ code: 'snapshot_rebuilt', severity: 'warning' }),
    );
    expect(report.issues.find((i) => i.code === 'snapshot_rebuilt')?.message).toContain(
      '1 document file(s) written again from the journal',
    );
    expect(
      okJson<{ id: string; content: string }>(await v('tasks', 'get', task.id, '--json')),
    ).toMatchObject(task);
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject(task);
  });

  it('health: exit 0 on a sound store, 5 on a corrupt task file that it then keeps aside', async () => {
    const { root, v } = await seeded('health');
    const sound = expectOk(await v('health'));
    expect(sound.stdout).toMatch(/^(healthy|degraded) \(\d+ checks\)\n/);
    const report = okJson<HealthReport>(await v('health', '--json'));
    expect(['ok', 'degraded']).toContain(report.status);
    expect(Object.keys(report.checks)).toEqual(
      expect.arrayContaining(['writable', 'disk', 'locks', 'tempFiles', 'indexes', 'journal']),
    );
    expect(report.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(Date.parse(report.checkedAt)).not.toBeNaN();

    // a hand-edited index is found, reported and rewritten
    const byStatus = join(root, '.ap-state', 'tasks', 'index', 'by-status.json');
    const goodIndex = await readFile(byStatus, 'utf8');
    await writeFile(byStatus, '{"pending": ["TASK-001-001"]}\n');
    const drift = okJson<HealthReport>(await v('health', '--json'));
    expect(drift.issues).toContainEqual(expect.objectContaining({ code: 'index_drift' }));
    expect(await readFile(byStatus, 'utf8')).toBe(goodIndex);

    // a truncated task file: FAILING, exit 5, kept aside as *.corrupt-*, rewritten from the journal
    const file = join(root, '.ap-state', 'tasks', 'active', 'TASK-001-002.json');
    const good = await readFile(file, 'utf8');
    await writeFile(file, '{"id": "TASK-001-002", "content": "Tw');
    const failing = expectExit(await v('health'), 5);
    expect(failing.stdout).toMatch(/^FAILING \(\d+ checks\)\n/);
    expect(failing.stdout).toMatch(
      / error {3}file_quarantined: tasks: .*TASK-001-002\.json:1:\d+: /,
    );
    expect(failing.stderr).toMatch(/^error VELLUM_UNHEALTHY: 1 problem\(s\) found/);
    // the way out it names (`vellum backup restore`) is a command that exists
    const named = [...failing.stderr.matchAll(/`vellum ([a-z ]+?)`/g)].map((m) => m[1] ?? '');
    expect(named.length).toBeGreaterThan(0);
    for (const command of named) {
      // (`--help` after an unknown command shows the top-level help: compare the usage line)
      const help = await run([...command.split(' '), '--help']);
      expect(help.stdout, `\`vellum ${command}\` is named in: ${failing.stderr}`).toMatch(
        new RegExp(`^Usage: vellum ${command} `),
      );
    }
    expect(await readFile(file, 'utf8')).toBe(good);
    const aside = (await readdir(join(root, '.ap-state', 'tasks', 'active'))).filter((n) =>
      n.startsWith('TASK-001-002.json.corrupt-'),
    );
    expect(aside).toHaveLength(1);

    // --json: exit 5 and one document, the report itself (nothing else on stdout)
    await writeFile(file, 'garbage');
    const failingJson = await v('health', '--json');
    expectExit(failingJson, 5);
    expect(failingJson.stderr).toBe('');
    const failed = parseJson<HealthReport>(failingJson);
    expect(failed.status).toBe('failing');
    expect(failed.issues).toContainEqual(
      expect.objectContaining({ code: 'file_quarantined', severity: 'error', path: file }),
    );
    expect(await readFile(file, 'utf8')).toBe(good);

    // once rewritten, the store is sound again
    expectExit(await v('health', '--quiet'), 0);
    expect(
      okJson<{ id: string; content: string }>(await v('tasks', 'get', 'TASK-001-002', '--json')),
    ).toMatchObject({ id: 'TASK-001-002', content: 'Build the login form' });
  });

  it('temp files of a killed writer: opening the store removes those it owns, health --fix the others; health then reports none', async () => {
    const { root, v } = await seeded('temp-files');
    // Above Linux's largest pid (2^22): never a live process.
    const tempIn = (dir: string, name: string): string =>
      join(root, '.ap-state', dir, `.${name}.vellum-tmp-4194305-0123456789ab`);
    const nextToIndex = tempIn('tasks/index', 'by-status.json');
    await writeFile(nextToIndex, '{"pending": [');
    const cleaned = okJson<HealthReport>(await v('health', '--json'));
    expect(existsSync(nextToIndex)).toBe(false);
    expect(cleaned.issues.filter((i) => i.code === 'temp_orphan')).toEqual([]);

    // where no open looks: reported, with the command that removes it
    const elsewhere = tempIn('metrics', '2026-01-05.jsonl');
    await writeFile(elsewhere, '{"op":');
    const degraded = expectOk(await v('health'));
    expect(degraded.stdout).toMatch(/^degraded /);
    expect(degraded.stdout).toContain('temp_orphan');
    expect(degraded.stdout).toContain('`vellum health --fix`');
    // the way out is named in CLI terms, never as a library call such as cleanupTempFiles()
    expect(degraded.stdout).not.toMatch(/\w\(\)/);
    const hinted = okJson<HealthReport>(await v('health', '--json'));
    expect(hinted.issues).toContainEqual(
      expect.objectContaining({ code: 'temp_orphan', path: elsewhere, fix: 'vellum health --fix' }),
    );
    const fixed = okJson<HealthReport & { removed: string[] }>(
      await v('health', '--fix', '--json'),
    );
    expect(fixed.removed).toEqual([elsewhere]);
    expect(existsSync(elsewhere)).toBe(false);
    expect(fixed.issues.filter((i) => i.code === 'temp_orphan')).toEqual([]);
    expect(okJson<HealthReport>(await v('health', '--json')).status).toBe(cleaned.status);
    expect(expectOk(await v('health', '--fix')).stdout).toMatch(/^removed no temp files\n/);
  });

  it('a corrupt file met by another command: the command still works, the --json output stays clean', async () => {
    const { root } = await seeded('warnings');
    // a child process: the warnings are the process's, printed by the bin
    const v = spawnVellumIn(root);
    const file = join(root, '.ap-state', 'tasks', 'active', 'TASK-001-001.json');
    await writeFile(file, '{"id": ');
    const listed = okJson<{ total: number }>(await v('tasks', 'list', '--json'));
    expect(listed.total).toBe(2);
    expect(existsSync(file)).toBe(true);

    // in human form, the repair is reported on stderr, and stdout stays the result
    await writeFile(file, 'garbage');
    const human = expectExit(await v('tasks', 'list', '--fields', 'id'), 0);
    expect(human.stdout).toBe('TASK-001-001\nTASK-001-002\n2 of 2\n');
    expect(human.stderr).toMatch(/^warning VELLUM_\w+: /m);
    expect(human.stderr).toContain('TASK-001-001.json');
  });

  it('journal verify and repair where there is no store: exit 3, nothing created', async () => {
    const root = await tempRoot('empty');
    const v = vellumIn(root);
    const store = join(root, '.ap-state');
    expect(expectHumanError(await v('journal', 'verify'), 3, 'VELLUM_NO_STORE').stderr).toBe(
      `error VELLUM_NO_STORE: no store at ${store}: run \`vellum tasks add\` to start one, or pass --root\n`,
    );
    expect(
      expectJsonError(await v('journal', 'repair', '--json'), 3, 'VELLUM_NO_STORE').error.details,
    ).toEqual({ path: store });
    expect(await readdir(root)).toEqual([]);
  });

  it('index verify after a hand edit of an index file: exit 5 naming the file; index rebuild fixes it', async () => {
    const { root, v } = await seeded('index-drift');
    const byStatus = join(root, '.ap-state', 'tasks', 'index', 'by-status.json');
    const good = await readFile(byStatus, 'utf8');
    await writeFile(byStatus, '{"pending": ["TASK-001-001"]}\n');

    const human = expectExit(await v('index', 'verify'), 5);
    expect(human.stdout).toMatch(
      new RegExp(`^DRIFT tasks\\.status: ${byStatus} is out of step`, 'm'),
    );
    expect(human.stdout).toMatch(/^ok {3}tasks\.priority$/m);
    expect(human.stderr).toBe(
      `error VELLUM_INDEX_DRIFT: index drift: tasks.status in ${byStatus} (run \`vellum index rebuild\`)\n`,
    );

    await writeFile(byStatus, '{"pending": ["TASK-001-001"]}\n');
    const json = await v('index', 'verify', '--json');
    expectExit(json, 5);
    expect(json.stderr).toBe('');
    const report = parseJson<{
      ok: boolean;
      collections: Record<string, Record<string, { ok: boolean; file: string; path?: string }>>;
    }>(json);
    expect(report.ok).toBe(false);
    expect(report.collections.tasks?.status).toMatchObject({
      ok: false,
      file: 'drift',
      path: byStatus,
    });
    expect(report.collections.tasks?.story).toMatchObject({ ok: true, file: 'ok' });

    await writeFile(byStatus, '{"pending": ["TASK-001-001"]}\n');
    expectOk(await v('index', 'rebuild', '--quiet'));
    expect(JSON.parse(await readFile(byStatus, 'utf8'))).toEqual(JSON.parse(good));
    expect(okJson<{ ok: boolean }>(await v('index', 'verify', '--json')).ok).toBe(true);
  });

  it('index verify leaves a drifted index file as it found it, until index rebuild', async () => {
    const { root, v } = await seeded('index-drift-kept');
    const byStatus = join(root, '.ap-state', 'tasks', 'index', 'by-status.json');
    const edited = '{"pending": ["TASK-001-001"]}\n';
    await writeFile(byStatus, edited);
    expectExit(await v('index', 'verify', '--quiet'), 5);
    expect(await readFile(byStatus, 'utf8')).toBe(edited);
    expectExit(await v('index', 'verify', '--quiet'), 5);
  });
});
