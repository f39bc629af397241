// Runs one migration of the kill-test store. argv: root up|down slowMs pauseAt pauseMs
//   Prints each protocol point as it passes (`marker`, `committed:tasks`...) and, at `pauseAt`,
//   blocks for pauseMs so that the parent's SIGKILL lands exactly there.
import { writeSync } from 'node:fs';
import { Migrator, defineMigrations } from '../../dist/index.js';
import { collections, migrationDefinitions } from './kill-fixture.mjs';

const [root, direction, slowMs, pauseAt, pauseMs] = process.argv.slice(2);
const say = (line) => writeSync(1, `${line}\n`);
const block = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const migrator = await Migrator.open({
  root,
  registry: defineMigrations(migrationDefinitions(Number(slowMs))),
  collections: collections(),
  onProgress: (event) => {
    const point =
      event.collection === undefined ? event.phase : `${event.phase}:${event.collection}`;
    say(point);
    if (point === pauseAt) block(Number(pauseMs));
  },
});
say('open');
await (direction === 'up' ? migrator.up() : migrator.down());
say('finished');
