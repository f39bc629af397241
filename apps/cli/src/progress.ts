import pc from 'picocolors';
import type { OutputOptions } from './output.js';

export interface Progress {
  update(done: number, total: number | undefined, label?: string): void;
  done(summary?: string): void;
}

const SILENT: Progress = { update: () => undefined, done: () => undefined };

/**
 * A progress bar on stderr when it is a terminal; nothing in pipes, with
 * `--json` or with `--quiet`.
 */
export function progress(options: OutputOptions, title: string): Progress {
  const { io } = options;
  if (options.json || options.quiet || !io.errIsTTY) return SILENT;
  const width = 24;
  let last = 0;
  const draw = (done: number, total: number | undefined, label = ''): void => {
    const now = Date.now();
    if (now - last < 50 && done !== total) return;
    last = now;
    const bar =
      total === undefined || total === 0
        ? `${done}`
        : `[${'#'.repeat(Math.round((done / total) * width)).padEnd(width, '.')}] ${Math.floor((done / total) * 100)}% ${done}/${total}`;
    io.err(
      `\r${pc.cyan(title)} ${bar} ${label}`.slice(0, io.errColumns - 1).padEnd(io.errColumns - 1),
    );
  };
  return {
    update: draw,
    done: (summary) =>
      io.err(`\r${' '.repeat(io.errColumns - 1)}\r${summary === undefined ? '' : `${summary}\n`}`),
  };
}
