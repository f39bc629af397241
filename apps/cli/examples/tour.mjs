// The quick-start tour: runs the real `vellum` binary on a fresh store in ./vellum-demo/
// and shows each command with its output. `npm run demo` at the repository root runs it.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const base = process.env.INIT_CWD ?? process.cwd();
const root = resolve(base, 'vellum-demo');
const show = (path) => relative(base, path) || '.';

rmSync(root, { recursive: true, force: true });
const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
// The commands write to a pipe here: tell them whether the terminal at the end wants colors.
const { FORCE_COLOR: _force, NO_COLOR: _no, ...inherited } = process.env;
const colors = color ? { ...inherited, FORCE_COLOR: '1' } : { ...inherited, NO_COLOR: '1' };
const bold = (text) => (color ? `\x1b[1m${text}\x1b[22m` : text);

function step(title) {
  console.log(`\n${bold(`## ${title}`)}`);
}

function vellum(...args) {
  console.log(`$ vellum ${args.map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  const run = spawnSync(process.execPath, [bin, '--root', root, ...args], {
    encoding: 'utf8',
    env: colors,
  });
  const out = `${run.stdout}${run.stderr}`.trimEnd();
  if (out !== '') console.log(out.replace(/^/gm, '  '));
  if (run.status !== 0) console.log(`  (exit code ${run.status})`);
  return run;
}

console.log(
  `Vellum tour: a spec 000 task store and spec 003 id mappings in ${show(root)}/ — plain JSON files you can read, diff and commit.`,
);

step('Add tasks with dependencies (ids are allocated per story, never twice)');
vellum(
  'tasks',
  'add',
  'Design the login form',
  '--story',
  '1',
  '--priority',
  'high',
  '--story-id',
  'STORY-001',
  '--persona',
  'architect',
);
vellum(
  'tasks',
  'add',
  'Build the login form',
  '--story',
  '1',
  '--story-id',
  'STORY-001',
  '--persona',
  'dev',
  '--depends-on',
  'TASK-001-001',
);
vellum(
  'tasks',
  'add',
  'Test the login form',
  '--story',
  '1',
  '--story-id',
  'STORY-001',
  '--persona',
  'qa',
  '--depends-on',
  'TASK-001-002',
);
vellum(
  'tasks',
  'add',
  'Set up billing',
  '--story',
  '2',
  '--story-id',
  'STORY-002',
  '--priority',
  'low',
);

step('Query by status and story; only what an agent needs (--fields, --limit, --json)');
vellum('tasks', 'list', '--status', 'pending', '--story', 'STORY-001');
vellum('tasks', 'list', '--story', 'STORY-001', '--fields', 'id,status', '--limit', '2', '--json');

step('Complete one and watch `ready` change; a dependency cycle is refused');
vellum('tasks', 'ready');
vellum('tasks', 'complete', 'TASK-001-001');
vellum('tasks', 'ready');
vellum('tasks', 'deps', 'TASK-001-001', '--add', 'TASK-001-003');

step('Map tasks to Jira and GitHub ids (several processes never get the same id)');
vellum('ids', 'map', 'TASK-001-001', 'jira', '--project', 'PROJ');
vellum('ids', 'map', 'TASK-001-002', 'jira', '--project', 'PROJ');
vellum('ids', 'record', 'TASK-001-002', 'github', '234');
vellum('ids', 'reverse', 'jira', 'PROJ-2');

step('Bad input gets a clear error and a non-zero exit code; nothing changes on disk');
vellum('tasks', 'add', '', '--story', '1');
vellum('tasks', 'get', 'TASK-404-404');

step('The files: exactly where spec 000 and spec 003 put them');
const file = join(root, '.ap-state', 'tasks', 'completed');
console.log(
  `  ${show(join(root, '.ap-state', 'tasks', 'active'))}/  ${show(file)}/YYYY-MM/  ${show(join(root, '.claude', 'state', 'external_id_mapping.json'))}`,
);
const taskFile = join(root, '.ap-state', 'tasks', 'active', 'TASK-001-002.json');
console.log(readFileSync(taskFile, 'utf8').replace(/^/gm, '  ').trimEnd());

step('Take a backup: a consistent checkpoint with a SHA-256 manifest, while writers may run');
vellum('backup', 'create');
vellum('backup', 'verify');

step('Delete a task by mistake, then restore the store to the moment before');
vellum('tasks', 'add', 'Write the release notes', '--story', '2', '--story-id', 'STORY-002');
const beforeMistake = new Date().toISOString();
vellum('tasks', 'delete', 'TASK-002-002');
vellum('tasks', 'list', '--story', 'STORY-002', '--fields', 'id,content');
vellum('backup', 'restore', '--to-time', beforeMistake);
vellum('tasks', 'list', '--story', 'STORY-002', '--fields', 'id,content');

step(
  'Damage a file on purpose, and watch `health` find it (the file is rewritten from the journal)',
);
writeFileSync(taskFile, '{"id": "TASK-001-002", "content": "Bui');
console.log(`  (truncated ${show(taskFile)} by hand)`);
vellum('health');
vellum('tasks', 'get', 'TASK-001-002', '--fields', 'id,content');
console.log(
  existsSync(taskFile)
    ? `  ${show(taskFile)} is whole again; the damaged copy is kept beside it as *.corrupt-*`
    : '',
);

step('A crash mid-append leaves a torn journal tail: found and repaired');
const wal = join(root, '.ap-state', 'wal', 'tasks');
const [segment] = (await import('node:fs')).readdirSync(wal).filter((n) => n.endsWith('.wal'));
appendFileSync(join(wal, segment), '{"seq":999,"ts":"2026-');
vellum('journal', 'verify');
vellum('journal', 'repair');
vellum('index', 'verify');
vellum('health');

console.log(
  `\nDone. Everything is plain JSON in ${show(root)}/ — try \`vellum --help\` or \`vellum tasks --help\`.`,
);
