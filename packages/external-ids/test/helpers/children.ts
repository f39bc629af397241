/**
 * Child processes for the multi-process tests. The scripts in test/children
 * import the built package (dist/index.js): `npm test` builds before testing.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

const distEntry = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const live = new Set<Child>();

afterEach(async () => {
  const children = [...live];
  for (const child of children) child.process.kill('SIGKILL');
  await Promise.all(children.map((child) => child.exited));
});

const BUILD = 'npx -y pnpm@10.34.9 turbo run build --filter=@vellum/external-ids';

/** Fails with a clear message when the package was not built, or src changed since. */
export function assertBuilt(): void {
  if (!existsSync(distEntry)) throw new Error(`${distEntry} is missing: build first (${BUILD})`);
  const srcDir = fileURLToPath(new URL('../../src/', import.meta.url));
  const built = statSync(distEntry).mtimeMs;
  const newer = readdirSync(srcDir).filter((name) => statSync(`${srcDir}${name}`).mtimeMs > built);
  if (newer.length > 0) {
    throw new Error(`dist/ is older than src/ (${newer.join(', ')}): rebuild first (${BUILD})`);
  }
}

/** A `node test/children/<script>` process with a line protocol on stdout and commands on stdin. */
export class Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  stderr = '';
  #waiters: { match: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(script: string, args: readonly string[]) {
    const path = fileURLToPath(new URL(`../children/${script}`, import.meta.url));
    this.process = spawn(process.execPath, [path, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, UV_USE_IO_URING: '0' },
    });
    live.add(this);
    this.process.stdin.on('error', () => undefined);
    this.process.stderr.setEncoding('utf8');
    this.process.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    createInterface({ input: this.process.stdout }).on('line', (line) => {
      this.lines.push(line);
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.match(line)) return true;
        waiter.resolve(line);
        return false;
      });
    });
    this.exited = new Promise((resolve) => {
      this.process.on('close', (code) => {
        live.delete(this);
        resolve(code);
      });
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** The first stdout line that matches; rejects with the child's output if it exits first. */
  async waitFor(match: (line: string) => boolean): Promise<string> {
    const found = this.lines.find(match);
    if (found !== undefined) return found;
    const line = new Promise<string>((resolve) => this.#waiters.push({ match, resolve }));
    const ended = this.exited.then((code) => {
      throw new Error(
        `child ${this.pid} exited (${String(code)}) first; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`,
      );
    });
    return Promise.race([line, ended]);
  }

  /** The parsed JSON event line `{"event": name, ...}`. */
  async event<T>(name: string): Promise<T> {
    const line = await this.waitFor((candidate) => candidate.startsWith(`{"event":"${name}"`));
    return JSON.parse(line) as T;
  }

  send(line: string): void {
    this.process.stdin.write(`${line}\n`);
  }

  /** Waits for exit code 0, or fails with the child's output. */
  async succeeded(): Promise<void> {
    const code = await this.exited;
    if (code !== 0) {
      throw new Error(`child ${this.pid} failed (${String(code)}):\n${this.stderr}`);
    }
  }
}
