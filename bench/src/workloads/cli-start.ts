import { fileURLToPath } from 'node:url';
import { timeNode } from '../children.js';
import { median, sampleAll, type Contender } from '../measure.js';
import { freshDir } from '../paths.js';
import { buildTaskStore, task } from '../stores/tasks.js';
import { below, rowsFrom, sizeOf, type Check, type Workload } from '../workload.js';

// The built CLI, as users run it: compiled JavaScript, no tsx. A devDependency,
// so that `npm run bench` builds it before timing it.
const bin = fileURLToPath(new URL('dist/bin.js', import.meta.resolve('@vellum/cli/package.json')));
const LIMIT_MS = 500;

const NODE = 'node -e, a one-line script (start-up floor, reference)';
const HELP = 'vellum --help';

export const cliStart: Workload = {
  name: 'cli-start',
  async run(options) {
    const tasks = sizeOf(options, 'tasks', 10_000, 1000);
    // Seven, not ten: `tasks get` on 10k tasks takes seconds a run here.
    const runs = sizeOf(options, 'runs', 7, 3);
    const root = await freshDir(options.dir, 'project');
    await buildTaskStore(root, tasks);
    const id = task(0).id;
    const get = `vellum tasks get ${id} (${tasks.toLocaleString('en-US')} tasks)`;
    const printed = new Map<string, boolean[]>();
    // `expect`: what the output must contain, so that a fast failure cannot pass for a fast answer.
    const command = (name: string, args: readonly string[], expect: string): Contender => {
      const seen: boolean[] = [];
      printed.set(name, seen);
      return {
        name,
        async sample() {
          const { wallMs, stdout } = await timeNode(args);
          seen.push(stdout.includes(expect));
          return wallMs;
        },
      };
    };
    const checkOf = (name: string, expect: string): Check => ({
      text: `printed ${JSON.stringify(expect)}`,
      ok: (printed.get(name) ?? []).every(Boolean),
    });
    const samples = await sampleAll(
      [
        command(NODE, ['-e', 'process.stdout.write("ok")'], 'ok'),
        command(HELP, [bin, '--help'], 'Usage:'),
        command(get, [bin, '--root', root, 'tasks', 'get', id], id),
      ],
      runs,
      options.dir,
    );
    const target = (name: string) => () => below(median(samples.get(name) ?? []), LIMIT_MS, 'ms');
    return {
      workload: 'cli-start',
      metric: 'wall ms',
      baseline: NODE,
      counts: { tasks, runs },
      rows: rowsFrom(samples, NODE, {
        [NODE]: { check: checkOf(NODE, 'ok') },
        [HELP]: { target: target(HELP), check: checkOf(HELP, 'Usage:') },
        [get]: { target: target(get), check: checkOf(get, id) },
      }),
    };
  },
};
