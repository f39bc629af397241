import { Command, InvalidArgumentError, Option } from 'commander';
import { contextOf, type Context } from './context.js';
import type { Io } from './io.js';

export type Handler = (
  context: Context,
  args: string[],
  options: Record<string, unknown>,
) => Promise<void>;
type Module = Record<string, Handler>;

/** Makes the action of a command: `load` imports its module, `name` picks the handler. */
type Act = (load: () => Promise<Module>, name: string) => (...params: unknown[]) => Promise<void>;

/** Actions of a run writing to `io`; each loads its module only when run, so `vellum --help` stays fast. */
function actions(io: Io): Act {
  return (load, name) =>
    async (...params) => {
      const command = params.at(-1) as Command;
      const options = params.at(-2) as Record<string, unknown>;
      const args = params
        .slice(0, -2)
        .flatMap((value) => (Array.isArray(value) ? (value as string[]) : [value as string]));
      const handler = (await load())[name];
      if (handler === undefined) throw new Error(`unreachable: no handler ${name}`);
      await handler(contextOf(command, io), args, options);
    };
}

const tasks = () => import('./commands/tasks.js') as Promise<Module>;
const ids = () => import('./commands/ids.js') as Promise<Module>;
const entities = () => import('./commands/entities.js') as Promise<Module>;
const store = () => import('./commands/store.js') as Promise<Module>;

function example(command: Command, ...lines: string[]): Command {
  return command.addHelpText(
    'after',
    `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`,
  );
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
const integer =
  (name: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(
        `${name} must be a whole number >= 0, got ${JSON.stringify(value)}`,
      );
    return n;
  };

function taskCommands(program: Command, act: Act): void {
  const t = program
    .command('tasks')
    .description('spec 000 tasks in .ap-state: add, query, complete, dependencies');
  example(
    t,
    'vellum tasks add "Write the README" --story 1',
    'vellum tasks list --status pending --json',
  );
  example(
    t
      .command('add')
      .description('create a task with the next free id for its story')
      .argument('<content>', 'what the task is')
      .option('--story <n>', 'story number for the id (TASK-<story>-<n>)')
      .option('--parent <id>', 'make it a subtask of this task')
      .option('--id <id>', 'use this id instead of allocating one')
      .addOption(new Option('--priority <p>', 'priority').choices(['high', 'medium', 'low']))
      .addOption(
        new Option('--status <s>', 'status').choices([
          'pending',
          'in_progress',
          'completed',
          'blocked',
        ]),
      )
      .option('--story-id <id>', 'metadata.story_id, e.g. STORY-001')
      .option('--persona <name>', 'metadata.persona')
      .option('--depends-on <ids>', 'comma-separated task ids', list)
      .action(act(tasks, 'add')),
    'vellum tasks add "Design the login form" --story 1 --priority high --story-id STORY-001',
  );
  example(
    t
      .command('get')
      .description('show one task')
      .argument('<id>')
      .option('--fields <names>', 'only these fields (comma-separated, dotted paths)', list)
      .action(act(tasks, 'get')),
    'vellum tasks get TASK-001-001 --json',
  );
  example(
    t
      .command('list')
      .description('list tasks, filtered and paged')
      .option('--status <s>', 'pending | in_progress | completed | blocked (comma-separated)', list)
      .option('--story <id>', 'metadata.story_id')
      .option('--persona <name>', 'metadata.persona')
      .option('--priority <p>', 'high | medium | low (comma-separated)', list)
      .option('--limit <n>', 'at most this many', integer('--limit'), 50)
      .option('--cursor <c>', 'continue after the previous page')
      .option('--fields <names>', 'only these fields (comma-separated, dotted paths)', list)
      .action(act(tasks, 'list')),
    'vellum tasks list --status pending --story STORY-001 --fields id,content',
  );
  example(
    t
      .command('search')
      .description('full-text search in task content')
      .argument('<text>')
      .option('--limit <n>', 'at most this many', integer('--limit'), 20)
      .action(act(tasks, 'search')),
    'vellum tasks search login',
  );
  example(
    t
      .command('update')
      .description('change a task')
      .argument('<id>')
      .addOption(
        new Option('--status <s>', 'status').choices([
          'pending',
          'in_progress',
          'completed',
          'blocked',
        ]),
      )
      .addOption(new Option('--priority <p>', 'priority').choices(['high', 'medium', 'low']))
      .option('--content <text>', 'new content')
      .option('--patch <json>', 'a JSON merge patch of any members')
      .action(act(tasks, 'update')),
    'vellum tasks update TASK-001-001 --status in_progress',
  );
  example(
    t
      .command('complete')
      .description('mark completed (moves it to completed/YYYY-MM/)')
      .argument('<id>')
      .action(act(tasks, 'complete')),
    'vellum tasks complete TASK-001-001',
  );
  example(
    t
      .command('reopen')
      .description('back to pending (moves it to active/)')
      .argument('<id>')
      .action(act(tasks, 'reopen')),
    'vellum tasks reopen TASK-001-001',
  );
  example(
    t
      .command('delete')
      .description('delete a task and its links')
      .argument('<id>')
      .action(act(tasks, 'remove')),
    'vellum tasks delete TASK-001-009',
  );
  example(
    t
      .command('deps')
      .description('show or change what a task depends on (blocks stays symmetric)')
      .argument('<id>')
      .option('--add <id>', 'add a dependency')
      .option('--remove <id>', 'remove a dependency')
      .option('--set <ids>', 'replace all dependencies (comma-separated; empty for none)', list)
      .action(act(tasks, 'deps')),
    'vellum tasks deps TASK-001-002 --add TASK-001-001',
  );
  example(
    t
      .command('ready')
      .description('pending tasks whose dependencies are all completed')
      .action(act(tasks, 'ready')),
    'vellum tasks ready',
  );
  example(
    t
      .command('batch')
      .description('apply a JSONL file of updates as one transaction (batch_update_tasks)')
      .argument('<file>')
      .action(act(tasks, 'batch')),
    'vellum tasks batch updates.jsonl',
  );
}

function entityCommands(program: Command, act: Act): void {
  const i = program.command('integrations').description('spec 000 integration points');
  example(i, 'vellum integrations list', 'vellum integrations record IP-001 --duration 120');
  example(
    i
      .command('add')
      .description('register an integration point')
      .requiredOption(
        '--type <type>',
        'task_creation | data_flow | state_management | automation_hooks | validation_points | reporting',
      )
      .requiredOption('--source <type:name>', 'e.g. persona:sm')
      .requiredOption('--target <type:name>', 'e.g. tool:TodoWrite')
      .option('--id <id>', 'IP-### (default: the next free one)')
      .action(act(entities, 'integrationAdd')),
    'vellum integrations add --type task_creation --source persona:sm --target tool:TodoWrite',
  );
  example(
    i
      .command('list')
      .description('list integration points')
      .option('--type <type>')
      .option('--disabled', 'only disabled ones')
      .action(act(entities, 'integrationList')),
    'vellum integrations list --type reporting',
  );
  example(
    i
      .command('get')
      .argument('<id>')
      .description('show one')
      .action(act(entities, 'integrationGet')),
    'vellum integrations get IP-001',
  );
  example(
    i
      .command('enable')
      .argument('<id>')
      .description('enable (moves it to active/)')
      .action(act(entities, 'integrationEnable')),
    'vellum integrations enable IP-003',
  );
  example(
    i
      .command('disable')
      .argument('<id>')
      .description('disable (moves it to disabled/)')
      .action(act(entities, 'integrationDisable')),
    'vellum integrations disable IP-001',
  );
  example(
    i
      .command('record')
      .argument('<id>')
      .description(
        'record one execution (updates metrics and integrations/metrics/YYYY-MM-DD.jsonl)',
      )
      .requiredOption('--duration <ms>', 'how long it took', integer('--duration'))
      .option('--failed', 'it failed')
      .option('--error <message>', 'what went wrong')
      .action(act(entities, 'integrationRecord')),
    'vellum integrations record IP-001 --duration 120',
  );

  const s = program
    .command('state')
    .description('spec 000 entity state: current state, transitions, history');
  example(s, 'vellum state set story STORY-001 in_progress --by sm --reason approved');
  example(
    s
      .command('get')
      .argument('<type>')
      .argument('<id>')
      .description("show an entity's state")
      .action(act(entities, 'stateGet')),
    'vellum state get story STORY-001',
  );
  example(
    s
      .command('set')
      .argument('<type>')
      .argument('<id>')
      .argument('<status>')
      .description('move to a new status (transition checked)')
      .requiredOption('--by <who>', 'changed_by')
      .requiredOption('--reason <why>', 'reason')
      .option('--phase <phase>')
      .option('--assigned-to <who>')
      .option('--progress <pct>', 'progress_percentage', integer('--progress'))
      .action(act(entities, 'stateSet')),
    'vellum state set story STORY-001 in_progress --by sm --reason "approved"',
  );
  example(
    s
      .command('list')
      .description('list entity states')
      .option('--type <type>')
      .option('--status <status>')
      .action(act(entities, 'stateList')),
    'vellum state list --type task --status blocked',
  );

  const se = program.command('sessions').description('spec 000 sessions: events and counters');
  example(se, 'vellum sessions start --persona dev');
  example(
    se
      .command('start')
      .description('start a session')
      .option('--persona <name>')
      .action(act(entities, 'sessionStart')),
    'vellum sessions start --persona dev',
  );
  example(
    se
      .command('event')
      .argument('<id>')
      .argument('<type>')
      .description('record an event')
      .option('--data <json>', 'event_data')
      .action(act(entities, 'sessionEvent')),
    'vellum sessions event <id> task_created',
  );
  example(
    se
      .command('end')
      .argument('<id>')
      .description('end a session')
      .action(act(entities, 'sessionEnd')),
    'vellum sessions end <id>',
  );
  example(
    se
      .command('list')
      .description('list sessions')
      .option('--active', 'only active ones')
      .action(act(entities, 'sessionList')),
    'vellum sessions list --active',
  );
  example(
    se.command('get').argument('<id>').description('show one').action(act(entities, 'sessionGet')),
    'vellum sessions get <id>',
  );

  const w = program.command('workflows').description('spec 000 workflow executions');
  example(w, 'vellum workflows list --status running');
  example(
    w
      .command('start')
      .argument('<type>')
      .description('start a workflow')
      .requiredOption('--steps <ids>', 'step_id:step_type, comma-separated', list)
      .addOption(
        new Option('--by <who>', 'initiated_by')
          .choices(['persona', 'user', 'automation'])
          .default('user'),
      )
      .action(act(entities, 'workflowStart')),
    'vellum workflows start delivery --steps plan:task,review:validation',
  );
  example(
    w
      .command('step')
      .argument('<id>')
      .argument('<step>')
      .argument('<status>')
      .description('move a step: running, completed, failed, skipped')
      .action(act(entities, 'workflowStep')),
    'vellum workflows step <id> plan running',
  );
  example(
    w
      .command('finish')
      .argument('<id>')
      .argument('<status>')
      .description('completed | failed | cancelled')
      .action(act(entities, 'workflowFinish')),
    'vellum workflows finish <id> completed',
  );
  example(
    w
      .command('list')
      .description('list workflows')
      .option('--status <status>')
      .action(act(entities, 'workflowList')),
    'vellum workflows list --status running',
  );
  example(
    w.command('get').argument('<id>').description('show one').action(act(entities, 'workflowGet')),
    'vellum workflows get <id>',
  );
}

function idCommands(program: Command, act: Act): void {
  const i = program
    .command('ids')
    .description('spec 003 external ids: Jira, Azure DevOps, Linear, GitHub');
  example(i, 'vellum ids map TASK-001-001 jira --project PROJ');
  example(
    i
      .command('map')
      .argument('<internalId>')
      .argument('<tool>')
      .option('--project <key>', 'Jira project / Linear team key')
      .description('give a task the next external id of a tool (idempotent)')
      .action(act(ids, 'map')),
    'vellum ids map TASK-001-001 jira --project PROJ',
  );
  example(
    i
      .command('record')
      .argument('<internalId>')
      .argument('<tool>')
      .argument('<externalId>')
      .description('store an id a tracker assigned')
      .action(act(ids, 'record')),
    'vellum ids record TASK-001-001 github 234',
  );
  example(
    i
      .command('get')
      .argument('<internalId>')
      .argument('[tool]')
      .description('the external ids of a task')
      .action(act(ids, 'get')),
    'vellum ids get TASK-001-001',
  );
  example(
    i
      .command('reverse')
      .argument('<tool>')
      .argument('<externalId>')
      .description('the task an external id belongs to')
      .action(act(ids, 'reverse')),
    'vellum ids reverse jira PROJ-457',
  );
  example(
    i
      .command('reset')
      .argument('<what>', 'mappings | counters | sync | all')
      .description('start over with empty state files (the old ones are kept aside, not deleted)')
      .action(act(ids, 'reset')),
    'vellum ids reset mappings',
  );
  example(
    i.command('list').description('every mapping').action(act(ids, 'list')),
    'vellum ids list --json',
  );
  example(
    i
      .command('unmap')
      .argument('<internalId>')
      .argument('[tool]')
      .description('remove a mapping')
      .action(act(ids, 'unmap')),
    'vellum ids unmap TASK-001-001 jira',
  );
}

const health = () => import('./commands/health.js') as Promise<Module>;
const migrate = () => import('./commands/migrate.js') as Promise<Module>;
const backup = () => import('./commands/backup.js') as Promise<Module>;

function storeCommands(program: Command, act: Act): void {
  example(
    program
      .command('health')
      .description('check the store: files, journals, indexes, locks, disk, backups')
      .option(
        '--fix',
        'first remove the temp files writers killed mid-write left in the store (those of live writers stay)',
      )
      .action(act(health, 'health')),
    'vellum health --json',
    'vellum health --fix',
  );
  const b = program
    .command('backup')
    .description('checkpoints of the store (checkpoints/YYYYMMDD_HHMMSS/, SHA-256 manifests)');
  example(b, 'vellum backup create', 'vellum backup restore --to-time 2026-11-21T10:00:00Z');
  example(
    b
      .command('create')
      .description('take a consistent backup while writers run')
      .action(act(backup, 'create')),
    'vellum backup create',
  );
  example(
    b.command('list').description('list backups').action(act(backup, 'list')),
    'vellum backup list --json',
  );
  example(
    b
      .command('verify')
      .argument('[id]', 'default: the newest')
      .description('check every file against its SHA-256')
      .action(act(backup, 'verify')),
    'vellum backup verify',
  );
  example(
    b
      .command('restore')
      .argument('[id]', 'default: the newest')
      .description(
        'restore a backup (the current state is moved aside, never deleted), optionally replaying the journal to a point in time',
      )
      .option('--to-seq <n>', 'replay up to this journal sequence number', integer('--to-seq'))
      .option('--to-time <iso>', 'replay up to this time')
      .option('--collection <name>', 'the collection --to-seq counts in', 'tasks')
      .action(act(backup, 'restore')),
    'vellum backup restore --to-time 2026-11-21T10:00:00Z',
  );
  example(
    b
      .command('rotate')
      .description('keep the newest backup of each of the last N days and M weeks')
      .option('--daily <n>', 'days to keep', integer('--daily'), 7)
      .option('--weekly <n>', 'weeks to keep', integer('--weekly'), 4)
      .action(act(backup, 'rotate')),
    'vellum backup rotate --daily 7 --weekly 4',
  );
  example(
    program
      .command('export')
      .argument('<file>', 'a .tar.gz to write')
      .option('--id <id>', 'export this backup (default: take a new one)')
      .description('export the store as a portable, verified archive')
      .action(act(backup, 'exportArchive')),
    'vellum export store.tar.gz',
  );
  example(
    program
      .command('import')
      .argument('<file>', 'a .tar.gz made by `vellum export`')
      .description('import an archive as a backup (verified); restore it to use it')
      .action(act(backup, 'importArchive')),
    'vellum import store.tar.gz',
  );
  const m = program
    .command('migrate')
    .description("schema migrations of the store (spec 000's version file)");
  example(m, 'vellum migrate status');
  example(
    m
      .command('status')
      .description('current and latest version, pending migrations')
      .action(act(migrate, 'status')),
    'vellum migrate status',
  );
  example(
    m
      .command('up')
      .description('migrate up (a backup is taken before each step)')
      .option('--to <version>', 'target version (default: the latest)')
      .option('--dry-run', 'report what would change, write nothing')
      .action(act(migrate, 'up')),
    'vellum migrate up --dry-run',
  );
  example(
    m
      .command('down')
      .description('migrate down one step, or to --to')
      .option('--to <version>', 'target version')
      .option('--dry-run', 'report what would change, write nothing')
      .action(act(migrate, 'down')),
    'vellum migrate down --to 1',
  );
  const index = program.command('index').description('index integrity');
  example(index, 'vellum index verify');
  example(
    index
      .command('verify')
      .description('compare every index with the documents')
      .action(act(store, 'indexVerify')),
    'vellum index verify',
  );
  example(
    index
      .command('rebuild')
      .description('rebuild every index from the documents and rewrite the files')
      .action(act(store, 'indexRebuild')),
    'vellum index rebuild',
  );
  const journal = program.command('journal').description('the write-ahead journals');
  example(journal, 'vellum journal verify');
  example(
    journal
      .command('verify')
      .description('check every journal segment')
      .action(act(store, 'journalVerify')),
    'vellum journal verify',
  );
  example(
    journal
      .command('repair')
      .description('cut an unfinished tail left by a crash (the bytes are kept aside)')
      .action(act(store, 'journalRepair')),
    'vellum journal repair',
  );
  example(
    journal
      .command('compact')
      .description('snapshot the store and drop the journal segments it covers')
      .action(act(store, 'journalCompact')),
    'vellum journal compact',
  );
}

/**
 * The whole command tree of a run writing to `io`. `writeErr` receives
 * commander's own messages (usage errors, help after an error); set before
 * any subcommand is added, since commander copies these settings to
 * subcommands when they are created.
 */
export function buildProgram(version: string, io: Io, writeErr: (text: string) => void): Command {
  const act = actions(io);
  const program = new Command('vellum')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text), writeErr })
    .description(
      'Local-first persistence on plain JSON files: tasks (.ap-state), external ids and store operations.',
    )
    .version(version)
    .option('--root <dir>', 'project root (default: the current directory)')
    .option('--tasks-dir <dir>', 'spec 000 state folder, relative to the root', '.ap-state')
    .option('--ids-dir <dir>', 'spec 003 state folder, relative to the root', '.claude/state')
    .option(
      '--lock-timeout <ms>',
      'wait this long for a lock another process holds, then exit 4 (default 10000)',
      integer('--lock-timeout'),
    )
    .option('--json', 'machine output: one JSON document on stdout')
    .option('-q, --quiet', 'print nothing on success')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run with --help for usage)');
  taskCommands(program, act);
  entityCommands(program, act);
  idCommands(program, act);
  storeCommands(program, act);
  example(
    program,
    'vellum tasks add "Write the README" --story 1',
    'vellum tasks list --status pending --json',
    'vellum ids map TASK-001-001 jira --project PROJ',
    'vellum health',
  );
  return program;
}
