// A lock holder driven by the parent through stdin (lock timeout and lock stall tests).
// argv: <target> <name> <stale ms|default> <timeout ms|default>
// Takes withLock(target) and prints {"event":"acquired"} (or {"event":"acquire-failed"}
// with the error's code, message and holder, then exits 0). While holding, each
// stdin line is a command:
//   write    writeJsonAtomic(target, {by: name}, {lock}) -> {"event":"write", ok|code}
//   write-stalled  the same, but the process SIGSTOPs itself inside the write,
//            after the temp file is written and synced, right before the lock
//            check and the rename (it prints `stopping` first)
//   check    lock.assertHeld()                         -> {"event":"check", ok|code}
//   release  leave the critical section                -> {"event":"released", ok|code}
// Every outcome is reported as JSON and the process exits 0: a lost lock must
// never crash the holder.
//
// With a fifth argument, the process SIGSTOPs itself once at a step of taking
// over an abandoned lock, after printing {"event":"paused","op":...}:
//   pause-on-takeover    when it has judged the lock abandoned, before it claims
//                        the take-over ticket (fs.promises.mkdir of <lock>.takeover-*)
//   pause-before-remove  when it holds the ticket and has re-checked the lock,
//                        right before it removes the lock directory
// The parent can then let another process try for the lock meanwhile. Those
// steps are the fallback lock's (VELLUM_LOCK_MECHANISM=proper-lockfile): its
// directory is <target>.lock.d.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const [target, name, staleText, timeoutText, mode] = process.argv.slice(2);
if (timeoutText === undefined)
  throw new Error(
    'usage: lock-actor.mjs <target> <name> <stale> <timeout> [pause-on-takeover | pause-before-remove]',
  );

if (mode === 'pause-on-takeover' || mode === 'pause-before-remove') {
  const lockPath = resolve(`${target}.lock.d`);
  let paused = false;
  const pauseOnce = (op) => {
    if (paused) return;
    paused = true;
    process.stdout.write(`${JSON.stringify({ event: 'paused', op })}\n`);
    process.kill(process.pid, 'SIGSTOP');
  };
  const { mkdir, rmdir } = fs.promises;
  fs.promises.mkdir = (path, ...rest) => {
    if (mode === 'pause-on-takeover' && resolve(String(path)).startsWith(`${lockPath}.takeover-`))
      pauseOnce('ticket');
    return mkdir(path, ...rest);
  };
  fs.promises.rmdir = (path, ...rest) => {
    if (mode === 'pause-before-remove' && resolve(String(path)) === lockPath) pauseOnce('remove');
    return rmdir(path, ...rest);
  };
  syncBuiltinESMExports();
}
const { nodeFs, withLock, writeJsonAtomic } = await import('../../dist/index.js');
const options = {};
if (staleText !== 'default') options.stale = Number(staleText);
if (timeoutText !== 'default') options.lockTimeout = Number(timeoutText);

const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const describe = (error) => ({
  ok: false,
  name: error?.name,
  code: error?.code,
  message: error?.message,
});

/** An fs layer that stops this process when the temp file is closed, the last call before the commit. */
const stallingFs = {
  ...nodeFs,
  async open(path, flags, mode) {
    const handle = await nodeFs.open(path, flags, mode);
    if (!path.includes('.vellum-tmp-')) return handle;
    return {
      write: (...args) => handle.write(...args),
      sync: () => handle.sync(),
      datasync: () => handle.datasync(),
      truncate: (length) => handle.truncate(length),
      stat: () => handle.stat(),
      close() {
        process.stdout.write('stopping\n');
        process.kill(process.pid, 'SIGSTOP');
        return handle.close();
      },
    };
  },
};

const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
const started = Date.now();
let acquired = false;
try {
  await withLock(
    target,
    async (lock) => {
      acquired = true;
      emit({ event: 'acquired', pid: process.pid, waitedMs: Date.now() - started });
      for (;;) {
        const { value: command, done } = await lines.next();
        if (done || command === 'release') break;
        try {
          if (command === 'write') await writeJsonAtomic(target, { by: name }, { lock });
          else if (command === 'write-stalled')
            await writeJsonAtomic(target, { by: name }, { lock, fs: stallingFs });
          else if (command === 'check') await lock.assertHeld();
          else throw new Error(`unknown command ${command}`);
          emit({ event: command, ok: true, aborted: lock.signal.aborted });
        } catch (error) {
          emit({ event: command, ...describe(error), aborted: lock.signal.aborted });
        }
      }
    },
    options,
  );
  emit({ event: 'released', ok: true });
} catch (error) {
  if (acquired) emit({ event: 'released', ...describe(error) });
  else
    emit({
      event: 'acquire-failed',
      ...describe(error),
      holder: error?.holder,
      waitedMs: Date.now() - started,
    });
}
input.close();
