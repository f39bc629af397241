// Shared by the child (built code) and kill.test.ts (sources): the store and its migration.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, writeJsonAtomic } from '@vellum/atomic-io';
import { arrayFileLayout } from '@vellum/collection';

export const TASKS = 2000;
export const NOTES = 200;

export function collections() {
  // A kill can land between taking a lock and naming its holder: such a lock is only taken over
  // once stale (10 s), so whoever opens next may wait that long. Wait longer than that.
  const lockTimeout = 30_000;
  return {
    tasks: { layout: arrayFileLayout({ file: 'tasks.json' }), lockTimeout },
    notes: { layout: arrayFileLayout({ file: 'notes.json' }), lockTimeout },
  };
}

/** Version-1 documents. */
export function seedDocs() {
  const pad = (n) => String(n).padStart(4, '0');
  return {
    tasks: Array.from({ length: TASKS }, (_, i) => ({
      version: '1',
      id: `t${pad(i)}`,
      n: i,
      title: `task ${i}`,
      tags: i % 3 === 0 ? ['a', 'b'] : [],
    })),
    notes: Array.from({ length: NOTES }, (_, i) => ({
      version: '1',
      id: `n${pad(i)}`,
      text: `note ${i}`,
    })),
  };
}

/** Burns CPU: a migration slow enough to be killed in the middle of. */
function spin(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

export const hookFile = (root) => join(root, 'extras', 'estimates.json');

/** 1 → 2: tasks get `estimate_hours` and `title` becomes `summary`; notes' text moves into `body.text`. */
export function migrationDefinitions(slowMs = 0) {
  return [
    {
      id: '0002-estimates',
      from: 1,
      to: 2,
      up: {
        tasks: ({ title, ...task }) => {
          spin(slowMs);
          return { ...task, summary: title, estimate_hours: task.n % 7 };
        },
        notes: ({ text, ...note }) => ({ ...note, body: { text } }),
      },
      down: {
        tasks: ({ summary, estimate_hours: _hours, ...task }) => {
          spin(slowMs);
          return { ...task, title: summary };
        },
        notes: ({ body, ...note }) => ({ ...note, text: body.text }),
      },
      // Idempotent, as store hooks must be.
      store: {
        up: async ({ root }) => {
          await ensureDir(join(root, 'extras'));
          await writeJsonAtomic(hookFile(root), { estimates: true });
        },
        down: async ({ root }) => {
          await rm(hookFile(root), { force: true });
        },
      },
    },
  ];
}
