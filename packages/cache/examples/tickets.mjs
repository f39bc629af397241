// Runnable: node examples/tickets.mjs (after a build)
// Two instances of one ticket store (as two processes would be), a cache of
// epic progress in the first, and a write through the second.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { Collection, perDocumentLayout } from '@vellum/collection';
import { CacheRegistry, bindToCollection } from '@vellum/cache';

const Ticket = z.object({
  id: z.string(),
  title: z.string(),
  epic: z.string(),
  points: z.number(),
  done: z.boolean(),
});

const root = await mkdtemp(join(tmpdir(), 'vellum-cache-'));
const open = () =>
  Collection.open({
    root,
    name: 'tickets',
    schema: Ticket,
    layout: perDocumentLayout({ dir: 'tickets', pathOf: (_, id) => `${id}.json` }),
    indexes: { epic: { key: (t) => t.epic } },
  });
const server = await open(); // process A: serves reads from its caches
const cli = await open(); // process B: writes

await cli.put({ id: 'T-1', title: 'Login page', epic: 'E1', points: 3, done: false });
await cli.put({ id: 'T-2', title: 'Schema', epic: 'E1', points: 5, done: true });

// Spec 002's caches: projects, tickets, epicProgress (5 min), dependencyGraphs, aiContexts; and queries.
const caches = new CacheRegistry();
const progress = caches.cache('epicProgress');
// A change to a ticket drops its cached copy (key = its id), every value derived from it
// (tag ticket:<id>) and, when a ticket joins an epic, that epic's values (tag epic:<id>).
const unbind = bindToCollection(caches, server, {
  tagsFor: (change) => [`ticket:${change.id}`, ...(change.doc ? [`epic:${change.doc.epic}`] : [])],
});

async function epicProgress(epic) {
  // A cache hit reads no collection, so it cannot notice B's writes by itself.
  // Catching up first (one stat of the journal when nothing changed) lets the
  // binding invalidate what B changed before the cache is consulted.
  await server.count();
  return progress.getOrLoad(
    `epic:${epic}`,
    async () => {
      const { items } = await server.query({ where: { epic } });
      const points = (list) => list.reduce((sum, t) => sum + t.points, 0);
      return {
        done: points(items.filter((t) => t.done)),
        total: points(items),
        tickets: items.map((t) => t.id),
      };
    },
    // Known once loaded: the tickets it was computed from.
    { tags: (p) => [`epic:${epic}`, ...p.tickets.map((id) => `ticket:${id}`)] },
  );
}

console.log('E1 progress:', await epicProgress('E1')); // loaded
console.log('E1 progress:', await epicProgress('E1')); // from the cache

await cli.patch('T-1', { done: true });
console.log('after B marks T-1 done:', await epicProgress('E1')); // reloaded

await cli.put({ id: 'T-3', title: 'Logout', epic: 'E1', points: 2, done: false });
console.log('after B adds T-3:', await epicProgress('E1')); // reloaded
console.log('E1 progress:', await epicProgress('E1')); // from the cache

console.log('stats:', progress.stats());

unbind();
await cli.close();
await server.close();
await rm(root, { recursive: true, force: true });
