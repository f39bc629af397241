// The counter that several worker processes increment, in each contender's
// storage: created at zero before the workers start, read back after they exit.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { COUNTER_ID, openCounters } from './stores/vellum.js';
import type { Counter } from './workers/protocol.js';

export interface CounterStore {
  /** Creates the counter at zero in `dir` and returns what the workers are given to find it. */
  create(dir: string): Promise<string>;
  read(location: string): Promise<number>;
}

export const jsonCounter: CounterStore = {
  async create(dir) {
    const file = join(dir, 'counter.json');
    await writeFile(file, JSON.stringify({ count: 0 } satisfies Counter));
    return file;
  },
  async read(file) {
    return (JSON.parse(await readFile(file, 'utf8')) as Counter).count;
  },
};

export const sqliteCounter: CounterStore = {
  async create(dir) {
    const file = join(dir, 'counter.sqlite');
    const db = new Database(file);
    try {
      // Persistent in the file, so the workers need not race to switch it.
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE counter (id INTEGER PRIMARY KEY, count INTEGER NOT NULL)');
      db.exec('INSERT INTO counter (id, count) VALUES (1, 0)');
    } finally {
      db.close();
    }
    return file;
  },
  async read(file) {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare<[], number>('SELECT count FROM counter WHERE id = 1').pluck().get() ?? 0;
    } finally {
      db.close();
    }
  },
};

/** A counter document in a collection; the workers get the store's root. */
export const vellumCounter: CounterStore = {
  async create(dir) {
    const counters = await openCounters(dir);
    try {
      await counters.put({ id: COUNTER_ID, count: 0 });
    } finally {
      await counters.close();
    }
    return dir;
  },
  async read(root) {
    const counters = await openCounters(root);
    try {
      return (await counters.get(COUNTER_ID))?.count ?? 0;
    } finally {
      await counters.close();
    }
  },
};
