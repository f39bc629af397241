import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  deadPid,
  fakeClock,
  mapLimit,
  runNode,
  runProcess,
  spawnChild,
  useChildren,
  useTempDirs,
} from '../src/index.js';

useChildren();
const { freshDir } = useTempDirs('vellum-tu-child-');

const node = (code: string, options = {}) => spawnChild(process.execPath, ['-e', code], options);

const ECHO = `
process.stdout.write('ready\\n{"event":"started","n":1}\\n');
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'quit') process.exit(3);
  process.stdout.write('echo ' + line + '\\n');
});`;

describe('Child', () => {
  it('speaks a line protocol: each wait matches a later line, events are parsed', async () => {
    const child = node(ECHO);
    expect(await child.waitForText('ready')).toBe('ready');
    expect(await child.waitForEvent<{ n: number }>('started')).toEqual({ event: 'started', n: 1 });
    child.send('a');
    child.send('a');
    expect(await child.waitForText('echo a')).toBe('echo a');
    // The second echo, not the first one again.
    await child.waitForText('echo a');
    expect(child.lines.filter((line) => line === 'echo a')).toHaveLength(2);
    expect(child.lastEvent('started')).toEqual({ event: 'started', n: 1 });
    child.send('quit');
    expect(await child.exited).toEqual({ code: 3, signal: null });
    await expect(child.succeeded()).rejects.toThrow(/failed \(code 3/);
  });

  it('gives concurrent waits one line each, in the order they asked', async () => {
    const child = node(ECHO);
    await child.waitForText('ready');
    const replies = [1, 2, 3].map((n) => {
      child.send(String(n));
      return child.waitForLine((line) => line.startsWith('echo '));
    });
    expect(await Promise.all(replies)).toEqual(['echo 1', 'echo 2', 'echo 3']);
    child.send('quit');
    await child.exited;
  });

  it('rejects a wait with the output when the child ends first', async () => {
    const child = node("process.stdout.write('only\\n'); console.error('boom'); process.exit(1)");
    const error = (await child.waitForText('never').then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(/ended \(code 1/);
    expect(error.message).toContain('boom');
    await expect(child.waitForText('never')).rejects.toThrow(/already ended/);
  });

  it('calls onLine for each line, so a test can kill the child at a given point', async () => {
    const child = node('let i = 0; setInterval(() => console.log(`tick ${i++}`), 5)', {
      onLine: (line: string, self: { kill(): void }) => {
        if (line === 'tick 3') self.kill();
      },
    });
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect(child.lines.slice(0, 4)).toEqual(['tick 0', 'tick 1', 'tick 2', 'tick 3']);
  });
});

describe('runProcess / runNode', () => {
  it('collect the exact stdout, its lines, stderr and the exit code, with env added', async () => {
    const result = await runProcess(
      process.execPath,
      [
        '-e',
        "process.stdout.write('a\\r\\nb\\nlast'); process.stderr.write(process.env.TU_X ?? 'unset'); process.exitCode = 4",
      ],
      { env: { TU_X: 'set' } },
    );
    expect(result).toMatchObject({
      code: 4,
      signal: null,
      stdout: 'a\r\nb\nlast',
      stderr: 'set',
      lines: ['a', 'b', 'last'],
    });
    expect(result.ms).toBeGreaterThanOrEqual(0);
  });

  it('kill a child that outlives its timeout', async () => {
    const result = await runProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], {
      timeoutMs: 200,
    });
    expect(result.signal).toBe('SIGKILL');
  });

  it('runNode runs a script file with arguments', async () => {
    const script = join(await freshDir(), 'args.mjs');
    await writeFile(script, 'console.log(JSON.stringify(process.argv.slice(2)));\n');
    const result = await runNode(script, ['a b', '--c']);
    expect(result).toMatchObject({ code: 0, lines: ['["a b","--c"]'] });
  });
});

describe('deadPid', () => {
  it('names a process that no longer exists', () => {
    const pid = deadPid();
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(deadPid()).toBe(pid);
  });
});

describe('mapLimit', () => {
  it('keeps the order, never runs more than the limit, and starts nothing after a failure', async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const results = await mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      return n * 10;
    });
    expect(results).toEqual([10, 20, 30, 40, 50, 60]);
    expect(peak).toBe(2);
    started.length = 0;
    await expect(
      mapLimit([1, 2, 3, 4, 5, 6], 1, async (n) => {
        started.push(n);
        if (n === 2) throw new Error('two');
        return n;
      }),
    ).rejects.toThrow('two');
    expect(started).toEqual([1, 2]);
  });
});

describe('fakeClock', () => {
  it('starts where told and moves by its step at each reading', () => {
    const clock = fakeClock('2026-01-05T10:00:00.000Z', 1000);
    expect(clock().toISOString()).toBe('2026-01-05T10:00:00.000Z');
    expect(clock().toISOString()).toBe('2026-01-05T10:00:01.000Z');
    expect(() => fakeClock('not a date')).toThrow(/not a date/);
  });
});
