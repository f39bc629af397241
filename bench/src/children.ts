import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Next to the bench's own `node_modules`, so that a compiled worker resolves the packages as users do. */
const COMPILED = fileURLToPath(new URL('../.tmp/workers/', import.meta.url));
const compiled = new Map<string, Promise<string>>();

/**
 * The TypeScript `worker` compiled once per run to one JavaScript file (the
 * bench's own modules bundled in, every package left to `node`): workers then
 * start as users' programs do, without a TypeScript loader in every figure.
 */
function compiledWorker(worker: URL): Promise<string> {
  const source = fileURLToPath(worker);
  let done = compiled.get(source);
  if (done === undefined) {
    const outfile = join(COMPILED, `${basename(source, '.ts')}.mjs`);
    done = build({
      entryPoints: [source],
      outfile,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
    }).then(() => outfile);
    compiled.set(source, done);
  }
  return done;
}

export interface WorkerTimes {
  /** From the first spawn until every worker exited. */
  readonly wallMs: number;
  /** From the moment every worker was ready until every worker exited. */
  readonly contendedMs: number;
}

/**
 * Runs the TypeScript `worker` (compiled) once per argv. The workers start their work
 * together (see `startTogether`): a worker that finished loading first would
 * otherwise run uncontended while the others are still starting.
 * @throws when any worker fails.
 */
export async function runTogether(
  worker: URL,
  argvs: readonly (readonly string[])[],
): Promise<WorkerTimes> {
  const script = await compiledWorker(worker);
  const start = performance.now();
  const children = argvs.map((argv) =>
    spawn(process.execPath, [script, ...argv], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const exits = Promise.all(children.map((child) => exitOf(child, worker)));
  // A worker that dies before it is ready rejects `exits`, ending the wait.
  await Promise.race([Promise.all(children.map((child) => once(child, 'message'))), exits]);
  const go = performance.now();
  for (const child of children) child.send('go');
  await exits;
  const end = performance.now();
  return { wallMs: end - start, contendedMs: end - go };
}

async function exitOf(child: ChildProcess, worker: URL): Promise<void> {
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  if (code !== 0) {
    throw new Error(`${fileURLToPath(worker)} exited with ${signal ?? `code ${code}`}`);
  }
}

/**
 * Runs the TypeScript `worker` (compiled) until it sends its answer (one IPC message).
 * @returns the time from spawn to the answer, and the answer.
 * @throws when the worker fails, or exits without answering.
 */
export async function askWorker<A>(
  worker: URL,
  argv: readonly string[],
): Promise<{ wallMs: number; answer: A }> {
  const script = await compiledWorker(worker);
  const start = performance.now();
  const child = spawn(process.execPath, [script, ...argv], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exit = exitOf(child, worker);
  const answered = once(child, 'message').then(([answer]) => ({
    wallMs: performance.now() - start,
    answer: answer as A,
  }));
  // A spawn error rejects both; the one not awaited must not become an unhandled rejection.
  void answered.catch(() => undefined);
  // An exit before the answer (a crash) rejects; a clean exit with no answer is a bug too.
  const first = await Promise.race([answered, exit.then(() => undefined)]);
  await exit;
  if (first === undefined) throw new Error(`${fileURLToPath(worker)} exited without answering`);
  return first;
}

/**
 * Runs `node <args>` to its exit.
 * @returns the wall time from spawn to exit, and what it printed.
 * @throws when it exits with another code than 0.
 */
export async function timeNode(
  args: readonly string[],
): Promise<{ wallMs: number; stdout: string }> {
  const start = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  // `close`, not `exit`: by then stdout has been read to its end.
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  const wallMs = performance.now() - start;
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${signal ?? `code ${code}`}`);
  return { wallMs, stdout: Buffer.concat(chunks).toString('utf8') };
}
