import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Io } from './io.js';
import type { OutputOptions } from './output.js';

/** The global options every command sees. */
export interface Context extends OutputOptions {
  /** The project root (default: the current directory). */
  root: string;
  /** Spec 000's `.ap-state` folder. */
  tasksDir: string;
  /** Spec 003's state folder. */
  idsDir: string;
  /** How long to wait for another process's lock; `undefined`: each store's default. */
  lockTimeout: number | undefined;
}

interface GlobalOptions {
  root?: string;
  tasksDir?: string;
  idsDir?: string;
  lockTimeout?: number;
  json?: boolean;
  quiet?: boolean;
}

/** The context of a command of a run that writes to `io`. */
export function contextOf(command: Command, io: Io): Context {
  const options = command.optsWithGlobals<GlobalOptions>();
  const root = resolve(options.root ?? process.cwd());
  return {
    root,
    tasksDir: resolve(root, options.tasksDir ?? '.ap-state'),
    idsDir: resolve(root, options.idsDir ?? '.claude/state'),
    lockTimeout: options.lockTimeout,
    json: options.json === true,
    quiet: options.quiet === true,
    io,
  };
}
