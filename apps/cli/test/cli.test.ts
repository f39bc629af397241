// The CLI as a whole: the command tree and its help, usage errors, --quiet,
// colors, progress output, lock timeouts, and the quick-start tour.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withLock } from '@vellum/atomic-io';
import { LOCK_NAME, MAPPING_FILE } from '@vellum/external-ids';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ANSI,
  describeRun,
  expectExit,
  expectHumanError,
  expectJsonError,
  expectOk,
  expectSameStore,
  okJson,
  parseJson,
  removeTempRoots,
  run,
  seeded,
  snapshot,
  SUITE_TIMEOUT_MS,
  tempRoot,
  vellumIn,
  writeLines,
} from './helpers.js';
import {
  BIN,
  cleanEnv,
  CLI_DIR,
  runInTerminal,
  spawnCollect,
  spawnVellum,
  spawnVellumIn,
} from './spawn.js';

afterAll(removeTempRoots);

/** The command tree the issue lists: every one of them must exist. */
const TREE: Record<string, string[]> = {
  tasks: [
    'add',
    'get',
    'list',
    'search',
    'update',
    'complete',
    'reopen',
    'delete',
    'deps',
    'ready',
    'batch',
  ],
  integrations: ['add', 'list', 'get', 'enable', 'disable', 'record'],
  state: ['get', 'set', 'list'],
  sessions: ['start', 'event', 'end', 'list', 'get'],
  workflows: ['start', 'step', 'finish', 'list', 'get'],
  ids: ['map', 'record', 'get', 'reverse', 'list', 'unmap'],
  health: [],
  index: ['verify', 'rebuild'],
  journal: ['verify', 'repair', 'compact'],
};

/** The names under "Commands:" in a help text (without `help`). */
function commandsIn(help: string): string[] {
  const section = /\nCommands:\n([\s\S]*?)(\n\n|$)/.exec(help)?.[1] ?? '';
  return section
    .split('\n')
    .filter((line) => /^ {2}\S/.test(line))
    .map((line) => line.trim().split(/\s/)[0] ?? '')
    .filter((name) => name !== 'help');
}

const { version } = JSON.parse(readFileSync(join(CLI_DIR, 'package.json'), 'utf8')) as {
  version: string;
};

describe.concurrent('the vellum CLI', { timeout: SUITE_TIMEOUT_MS }, () => {
  // The longest chains first: the tour and the lock timeout.
  it('the tour (examples/tour.mjs) runs to the end with exit code 0', async () => {
    const cwd = await tempRoot('tour');
    const tour = await spawnCollect(
      process.execPath,
      [join(CLI_DIR, 'examples', 'tour.mjs')],
      ['(tour)'],
      {
        cwd,
        env: { INIT_CWD: undefined },
        timeoutMs: 200_000,
      },
    );
    expectExit(tour, 0);
    expect(tour.stderr).toBe('');
    expect(tour.stdout).toMatch(/\nDone\. Everything is plain JSON in vellum-demo\/ /);
    // exactly the failures the tour shows on purpose: a cycle, empty content, a missing
    // task, a damaged file found by health, a torn tail found by journal verify
    expect([...tour.stdout.matchAll(/\(exit code (\d+)\)/g)].map((m) => m[1])).toEqual([
      '2',
      '2',
      '3',
      '5',
      '5',
    ]);
    expect(tour.stdout).toContain('repaired tasks: cut at line');
    expect(tour.stdout).not.toMatch(ANSI);
    const demo = join(cwd, 'vellum-demo');
    expect(existsSync(join(demo, '.ap-state', 'tasks', 'active', 'TASK-001-002.json'))).toBe(true);
    expect(existsSync(join(demo, '.claude', 'state', 'external_id_mapping.json'))).toBe(true);
    expect(
      (await readdir(join(demo, '.ap-state', 'tasks', 'active'))).some((n) =>
        n.startsWith('TASK-001-002.json.corrupt-'),
      ),
    ).toBe(true);
    // and the store it leaves behind is sound
    const after = vellumIn(demo);
    expect(okJson<{ ok: boolean }>(await after('journal', 'verify', '--json')).ok).toBe(true);
  });

  it('a lock held by another process: exit 4 (VELLUM_LOCK_TIMEOUT) after --lock-timeout, nothing written', async () => {
    // "not acquired after <waited> ms": 1.5 s or a little more, not the stores' default 10 s
    const WAITED_THE_TIMEOUT = /after (1[5-9]\d\d|[2-9]\d\d\d) ms/;
    const root = await tempRoot('lock');
    // child processes: the lock is held by another process (this one)
    const v = spawnVellumIn(root);
    expectExit(await v('tasks', 'add', 'Before', '--story', '1', '-q'), 0);
    expectExit(await v('ids', 'map', 'TASK-001-001', 'jira', '-q'), 0);
    const before = await snapshot(root);
    const journal = join(root, '.ap-state', 'wal', 'tasks', 'journal');
    const mapping = join(root, '.claude', 'state', MAPPING_FILE);
    // commands wait for the locks at once: the tasks store's (with --json, and in human
    // form) and the external ids'
    const [[blocked, human], ids] = await withLock(
      journal,
      () =>
        Promise.all([
          Promise.all([
            v('--lock-timeout', '1500', 'tasks', 'add', 'Blocked', '--story', '1', '--json'),
            v('tasks', 'delete', 'TASK-001-001', '--lock-timeout', '1500'),
          ]),
          withLock(
            mapping,
            () => v('--lock-timeout', '1500', 'ids', 'record', 'TASK-001-001', 'github', '7'),
            {
              lockPath: join(root, '.claude', 'state', LOCK_NAME),
              lockTimeout: 5_000,
            },
          ),
        ]),
      { lockTimeout: 5_000 },
    );
    const body = expectJsonError(blocked, 4, 'VELLUM_LOCK_TIMEOUT');
    expect(body.error.message).toContain(`held by pid ${process.pid}`);
    expect(body.error.message).toMatch(WAITED_THE_TIMEOUT);
    expect(body.error.details).toEqual({ path: journal });
    // Waited the 1.5 s asked for, not the stores' default of 10 s: the message says how long
    // the lock was waited for; the process's wall time also counts its start, which a loaded
    // machine stretches, so it only bounds the wait from below.
    expect(blocked.ms).toBeGreaterThanOrEqual(1_500);
    expect(expectHumanError(ids, 4, 'VELLUM_LOCK_TIMEOUT').stderr).toMatch(WAITED_THE_TIMEOUT);
    expectExit(human, 4);
    expect(human.stderr).toMatch(
      /^error VELLUM_LOCK_TIMEOUT: .*\(another process holds the store; retry when it is done\)\n$/,
    );
    expectSameStore(before, await snapshot(root), 'commands that timed out on the lock');

    // released: it works again
    expect(
      okJson<{ id: string }>(await v('tasks', 'add', 'After', '--story', '1', '--json')).id,
    ).toBe('TASK-001-002');
  });

  it('the bin exits with each class of code: 1 failure, 2 usage, 3 not found, 5 corruption', async () => {
    // one command per class through the real binary (exit 0 and 4: the tests around this one)
    const { root } = await seeded('exit-classes');
    const v = spawnVellumIn(root);
    const [failure, usage, notFound] = await Promise.all([
      v('export', join(root, 'seed.jsonl', 'store.tar.gz')),
      v('tasks', 'update', 'TASK-001-001', '--patch', 'null'),
      v('tasks', 'get', 'TASK-404-404', '--json'),
    ]);
    expectHumanError(failure, 1, 'VELLUM_FAILED');
    expect(expectHumanError(usage, 2, 'VELLUM_USAGE').stderr).toContain(
      '--patch must be a JSON object',
    );
    expectJsonError(notFound, 3, 'VELLUM_NOT_FOUND');
    await writeFile(join(root, '.ap-state', 'tasks', 'active', 'TASK-001-002.json'), '{"id": ');
    const corrupt = await v('health', '--json');
    expectExit(corrupt, 5);
    expect(parseJson<{ status: string }>(corrupt).status).toBe('failing');
  });

  it('has every command of the issue, and every command’s --help (groups too) shows an example', async () => {
    // The tree is discovered from the help texts, so commands added later are checked too.
    // the bin's own --help, then the tree in this process
    const top = expectOk(await spawnVellum(['--help']));
    const groups = commandsIn(top.stdout);
    expect(groups).toEqual(expect.arrayContaining(Object.keys(TREE)));
    expect(top.stdout).toMatch(/^Examples?:\n {2}\$ vellum /m);
    for (const option of ['--root <dir>', '--json', '-q, --quiet'])
      expect(top.stdout).toContain(option);

    const groupHelps = await Promise.all(groups.map((group) => run([group, '--help'])));
    const leaves: string[][] = [];
    for (const [i, group] of groups.entries()) {
      const help = expectOk(groupHelps[i] ?? top);
      expect(help.stdout, `vellum ${group} --help`).toMatch(
        new RegExp(`^Usage: vellum ${group}\\b[\\s\\S]*^Examples?:\\n {2}\\$ vellum `, 'm'),
      );
      const subs = commandsIn(help.stdout);
      if (TREE[group] !== undefined)
        expect(subs, `vellum ${group} --help`).toEqual(expect.arrayContaining(TREE[group]));
      if (subs.length === 0) leaves.push([group]);
      else leaves.push(...subs.map((sub) => [group, sub]));
    }
    expect(leaves.length).toBeGreaterThanOrEqual(
      Object.values(TREE).reduce((n, subs) => n + Math.max(subs.length, 1), 0),
    );

    const helps = await Promise.all(leaves.map((path) => run([...path, '--help'])));
    for (const [i, path] of leaves.entries()) {
      const help = expectOk(helps[i] ?? top);
      const name = `vellum ${path.join(' ')}`;
      expect(help.stdout, `${name} --help`).toMatch(new RegExp(`^Usage: ${name}\\b`));
      expect(help.stdout, `${name} --help`).toMatch(
        new RegExp(`^Examples?:\\n {2}\\$ ${name}\\b`, 'm'),
      );
    }
  });

  it('--version prints the package version', async () => {
    expect(expectOk(await spawnVellum(['--version'])).stdout).toBe(`${version}\n`);
  });

  it('usage errors exit 2, at the top and in every subcommand, as text or as JSON', async () => {
    const root = await tempRoot('usage');
    // [arguments, what stderr (or the JSON message) says]
    const cases: [string[], RegExp][] = [
      [['taks', 'list'], /unknown command 'taks'\n\(Did you mean tasks\?\)/],
      [['--bogus', 'tasks', 'list'], /unknown option '--bogus'/],
      [['tasks', 'ad', 'x'], /unknown command 'ad'\n\(Did you mean add\?\)/],
      [['tasks', 'get'], /missing required argument 'id'/],
      [
        ['tasks', 'add', 'x', '--story', '1', '--priority', 'urgent'],
        /argument 'urgent' is invalid/,
      ],
      [['tasks', 'update', 'TASK-001-001', '--status', 'done'], /argument 'done' is invalid/],
      [
        ['integrations', 'add', '--type', 'reporting', '--source', 'persona:sm'],
        /required option '--target <type:name>' not specified/,
      ],
      [['tasks', 'list', '--bogus'], /unknown option '--bogus'/],
      [
        ['workflows', 'start', 'd', '--steps', 'a:task', '--by', 'robot'],
        /argument 'robot' is invalid/,
      ],
      [['tasks', 'list', '--limit', '-1'], /--limit must be a whole number >= 0, got "-1"/],
      [['--lock-timeout', 'soon', 'tasks', 'list'], /--lock-timeout must be a whole number/],
      [['tasks', 'search', 'x', '--limit', 'many'], /--limit must be a whole number >= 0/],
      [
        ['integrations', 'record', 'IP-001', '--duration', 'slow'],
        /--duration must be a whole number/,
      ],
      [
        [
          'state',
          'set',
          'story',
          'S-1',
          'pending',
          '--by',
          'a',
          '--reason',
          'b',
          '--progress',
          '1.5',
        ],
        /--progress must be a whole number/,
      ],
    ];
    const runs = await Promise.all(
      cases.flatMap(([args]) => [
        run(['--root', root, ...args]),
        run(['--root', root, '--json', ...args]),
      ]),
    );
    for (const [i, [, message]] of cases.entries()) {
      const [human, json] = [runs[2 * i], runs[2 * i + 1]];
      if (human === undefined || json === undefined) throw new Error('unreachable');
      // text: exit 2, nothing on stdout, the message and a pointer to --help on stderr
      expectExit(human, 2);
      expect(human.stdout, describeRun(human)).toBe('');
      expect(human.stderr, describeRun(human)).toMatch(message);
      expect(human.stderr, describeRun(human)).toMatch(/^error: /);
      expect(human.stderr, describeRun(human)).toContain('(run with --help for usage)');
      // --json: the error document on stdout, nothing on stderr
      const body = expectJsonError(json, 2, 'VELLUM_USAGE');
      expect(body.error.message, describeRun(json)).toMatch(message);
      expect(body.error.message).not.toMatch(/^error: /);
    }
    // none of them opened (or created) a store
    expect(existsSync(join(root, '.ap-state'))).toBe(false);
  });

  it('a --root without a store: commands that read exit 3 and create nothing; tasks add starts one', async () => {
    const parent = await tempRoot('no-store');
    const root = join(parent, 'typo');
    const store = join(root, '.ap-state');
    const reads = [
      ['tasks', 'get', 'TASK-001-001'],
      ['tasks', 'list'],
      ['tasks', 'search', 'login'],
      ['tasks', 'ready'],
      ['tasks', 'update', 'TASK-001-001', '--status', 'blocked'],
      ['integrations', 'list'],
      ['state', 'get', 'story', 'STORY-001'],
      ['sessions', 'list'],
      ['workflows', 'get', 'x'],
      ['health'],
      ['index', 'verify'],
      ['journal', 'verify'],
      ['backup', 'list'],
      ['migrate', 'status'],
      ['ids', 'map', 'TASK-001-001', 'jira'],
    ];
    const runs = await Promise.all(
      reads.map((args) =>
        run(['--root', root, ...args, ...(args[0] === 'tasks' ? ['--json'] : [])]),
      ),
    );
    for (const [i, result] of runs.entries()) {
      const message =
        reads[i]?.[0] === 'tasks'
          ? expectJsonError(result, 3, 'VELLUM_NO_STORE').error.message
          : expectHumanError(result, 3, 'VELLUM_NO_STORE').stderr;
      expect(message, describeRun(result)).toContain(
        `no store at ${store}: run \`vellum tasks add\` to start one, or pass --root`,
      );
    }
    // the external ids: the same, for their own folder
    const ids = expectHumanError(await run(['--root', root, 'ids', 'list']), 3, 'VELLUM_NO_STORE');
    expect(ids.stderr).toContain(
      `no store at ${join(root, '.claude', 'state')}: run \`vellum ids map\``,
    );
    expect(await readdir(parent)).toEqual([]);

    // a command that adds something starts the store
    expect(
      okJson<{ id: string }>(
        await run(['--root', root, 'tasks', 'add', 'First', '--story', '1', '--json']),
      ).id,
    ).toBe('TASK-001-001');
    expect(existsSync(join(store, 'tasks', 'active', 'TASK-001-001.json'))).toBe(true);
  });

  it('a missing command is a usage error (exit 2); help asked for is not', async () => {
    const [bare, group, help, groupHelp] = await Promise.all([
      run([]),
      run(['tasks']),
      run(['help']),
      run(['help', 'tasks']),
    ]);
    expect(bare.stderr, describeRun(bare)).toMatch(/^Usage: vellum /);
    expectExit(bare, 2);
    expect(group.stderr, describeRun(group)).toMatch(/^Usage: vellum tasks /);
    expectExit(group, 2);
    expect(expectOk(help).stdout).toMatch(/^Usage: vellum /);
    expect(expectOk(groupHelp).stdout).toMatch(/^Usage: vellum tasks /);
    // --json: an error document that says so
    for (const args of [['--json'], ['tasks', '--json']]) {
      const body = expectJsonError(await run(args), 2, 'VELLUM_USAGE');
      expect(body.error.message, `vellum ${args.join(' ')}`).toMatch(/command is missing/);
    }
  });

  it('a reader that goes away (`vellum tasks list | head -1`) ends the command quietly', async () => {
    const { root } = await seeded('epipe');
    for (const args of [['--help'], ['--root', root, 'tasks', 'list']]) {
      const child = spawn(process.execPath, [BIN, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: cleanEnv(),
      });
      child.stdout.destroy(); // the reader is gone before the first write
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr, `vellum ${args.join(' ')} with a closed stdout`).toBe('');
      expect(code, `vellum ${args.join(' ')} with a closed stdout`).toBe(0);
    }
  });

  it('--quiet prints nothing on success, but still reports errors', async () => {
    const root = await tempRoot('quiet');
    const v = vellumIn(root);
    const quietRuns: string[][] = [
      ['tasks', 'add', 'Quiet', '--story', '1', '--quiet'],
      ['-q', 'tasks', 'list'],
      ['tasks', 'complete', 'TASK-001-001', '--quiet'],
      ['ids', 'map', 'TASK-001-001', 'jira', '--quiet'],
      ['index', 'rebuild', '--quiet'],
      ['health', '--quiet'],
    ];
    for (const args of quietRuns) {
      const result = await v(...args);
      expectExit(result, 0);
      expect(result.stdout, describeRun(result)).toBe('');
      expect(result.stderr, describeRun(result)).toBe('');
    }
    expect(okJson<{ total: number }>(await v('tasks', 'list', '--json')).total).toBe(1);

    const failed = expectExit(await v('tasks', 'get', 'TASK-404-404', '--quiet'), 3);
    expect(failed.stdout).toBe('');
    expect(failed.stderr).toMatch(/^error VELLUM_NOT_FOUND: /);
  });

  it('colors: only when asked for, never with NO_COLOR=1, never in --json', async () => {
    const root = await tempRoot('colors');
    // child processes: colors are decided from the environment a process starts with
    const plain = spawnVellumIn(root);
    const forced = spawnVellumIn(root, { env: { FORCE_COLOR: '1' } });
    const refused = spawnVellumIn(root, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });

    // a pipe gets no colors by default
    const piped = expectOk(await plain('tasks', 'add', 'Colors', '--story', '1'));
    expect(piped.stdout).not.toMatch(ANSI);
    // the control: FORCE_COLOR=1 does color the same kind of output
    const colored = expectOk(await forced('tasks', 'add', 'More colors', '--story', '1'));
    expect(colored.stdout).toMatch(ANSI);
    // NO_COLOR=1 wins, on stdout and on stderr
    for (const args of [['tasks', 'list'], ['health']]) {
      const result = await refused(...args);
      expectExit(result, 0);
      expect(result.stdout, describeRun(result)).not.toMatch(ANSI);
      expect(result.stdout.length).toBeGreaterThan(0);
    }
    const error = expectExit(await refused('tasks', 'get', 'TASK-404-404'), 3);
    expect(error.stderr).toMatch(/^error VELLUM_NOT_FOUND/);
    expect(error.stderr).not.toMatch(ANSI);
    expect((await forced('tasks', 'get', 'TASK-404-404')).stderr).toMatch(ANSI);
    // --json never carries escapes, even when colors are forced
    const json = await forced('tasks', 'list', '--json');
    expect(okJson<{ total: number }>(json).total).toBe(2);
    expect(json.stdout).not.toMatch(ANSI);
    expect((await forced('tasks', 'get', 'TASK-404-404', '--json')).stdout).not.toMatch(ANSI);
  });

  it('progress output: on a terminal only, never in pipes, with --json or --quiet', async () => {
    // `script` (util-linux) gives the commands a terminal.
    expect(
      spawnSync('script', ['--version']).status,
      'this test needs `script` from util-linux',
    ).toBe(0);
    const root = await tempRoot('progress');
    const v = vellumIn(root);
    expectExit(await v('tasks', 'add', 'Progress', '--story', '1', '-q'), 0);
    const updates = await writeLines(join(root, 'updates.jsonl'), [
      { id: 'TASK-001-001', status: 'in_progress' },
    ]);

    // pipes: stderr stays empty, stdout is just the result
    const rebuilt = expectOk(await v('index', 'rebuild'));
    expect(rebuilt.stdout).toMatch(/^rebuilt /);
    expect(rebuilt.stdout).not.toContain('\r');
    const batch = expectOk(await v('tasks', 'batch', updates));
    expect(batch.stdout).toBe('applied 0 created, 1 updated (1 tasks written, one transaction)\n');

    // the control: a terminal shows the bar (on stderr, redrawn with \r)
    const tty = await runInTerminal(['--root', root, 'index', 'rebuild']);
    expectExit(tty, 0);
    expect(tty.stdout.replace(new RegExp(ANSI.source, 'g'), '')).toMatch(
      /\rrebuild \[[#.]+\] \d+% \d+\/\d+/,
    );

    // a terminal with --json: the transcript is the JSON document and nothing else
    const ttyJson = await runInTerminal(['--root', root, 'index', 'rebuild', '--json']);
    expectExit(ttyJson, 0);
    const transcript = ttyJson.stdout.replace(/\r\n/g, '\n');
    expect(transcript).not.toContain('\r');
    expect(parseJson({ ...ttyJson, stdout: transcript })).toMatchObject({
      rebuilt: expect.arrayContaining(['tasks.status']) as unknown,
    });
    const ttyBatch = await runInTerminal(['--root', root, 'tasks', 'batch', updates, '--json']);
    expectExit(ttyBatch, 0);
    expect(ttyBatch.stdout.replace(/\r\n/g, '\n')).toMatch(/^\{\n {2}"written": 1,[\s\S]*\}\n$/);

    // a terminal with --quiet: nothing at all
    const ttyQuiet = await runInTerminal(['--root', root, 'index', 'rebuild', '--quiet']);
    expectExit(ttyQuiet, 0);
    expect(ttyQuiet.stdout).toBe('');

    // a terminal with NO_COLOR=1: no escapes (the control: a terminal gets colors)
    const ttyNoColor = await runInTerminal(['--root', root, 'tasks', 'list'], {
      env: { NO_COLOR: '1' },
    });
    expectExit(ttyNoColor, 0);
    expect(ttyNoColor.stdout).toContain('TASK-001-001');
    expect(ttyNoColor.stdout).not.toMatch(ANSI);
    const ttyColor = await runInTerminal(['--root', root, 'tasks', 'list']);
    expect(ttyColor.stdout).toMatch(ANSI);
  });
});
