import { Collection, perDocumentLayout, type ChangeEvent } from '@vellum/collection';
import { describe, expect, test, vi } from 'vitest';
import { z } from 'zod';
import {
  CacheRegistry,
  MemoryCache,
  TieredCache,
  bindToCollection,
  type CollectionChange,
  type TieredRecord,
} from '../src/index.js';
import { freshDir, onCleanup } from './helpers.js';
import { MapTier } from './map-tier.js';

/** A stand-in for a collection's change feed. */
class Notifier<T> {
  readonly listeners = new Set<(event: CollectionChange<T>) => void>();
  onChange(listener: (event: CollectionChange<T>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(event: Partial<CollectionChange<T>> & { id: string }): void {
    const full = { type: 'put', seq: 1, doc: undefined, source: 'remote', ...event } as const;
    for (const listener of this.listeners) listener(full);
  }
}

describe('bindToCollection (change feed)', () => {
  test("by default, a change deletes the key equal to the document's id", () => {
    const cache = new MemoryCache<string>({ max: 10 });
    const feed = new Notifier<{ title: string }>();
    bindToCollection(cache, feed);
    cache.set('T1', 'one');
    cache.set('T2', 'two');
    feed.emit({ id: 'T1' });
    expect(cache.get('T1')).toBeUndefined();
    expect(cache.get('T2')).toBe('two');
  });

  test('maps a change to keys, prefixes and tags', () => {
    const cache = new MemoryCache({ max: 10 });
    const feed = new Notifier<{ epic: string }>();
    bindToCollection(cache, feed, {
      keysFor: (event) => [`ticket:${event.id}`],
      prefixesFor: () => ['query:tickets:'],
      tagsFor: (event) => (event.doc === undefined ? [] : [`epic:${event.doc.epic}`]),
    });
    cache.set('ticket:T1', 'T1');
    cache.set('query:tickets:open', ['T1']);
    cache.set('query:projects:all', ['P1']);
    cache.set('progress:E1', 40, { tags: ['epic:E1'] });
    cache.set('progress:E2', 90, { tags: ['epic:E2'] });
    feed.emit({ id: 'T1', doc: { epic: 'E1' } });
    expect(cache.get('ticket:T1')).toBeUndefined();
    expect(cache.get('query:tickets:open')).toBeUndefined();
    expect(cache.get('progress:E1')).toBeUndefined();
    expect(cache.get('query:projects:all')).toEqual(['P1']);
    expect(cache.get('progress:E2')).toBe(90);
  });

  test('unbinding stops it', () => {
    const cache = new MemoryCache<string>({ max: 10 });
    const feed = new Notifier<unknown>();
    const unbind = bindToCollection(cache, feed);
    unbind();
    cache.set('T1', 'one');
    feed.emit({ id: 'T1' });
    expect(cache.get('T1')).toBe('one');
    expect(feed.listeners.size).toBe(0);
  });

  test('a mapping that throws clears the target, never throws into the collection, and is reported', () => {
    const cache = new MemoryCache<string>({ max: 10 });
    const feed = new Notifier<unknown>();
    const onError = vi.fn();
    bindToCollection(cache, feed, {
      tagsFor: () => {
        throw new Error('bad mapping');
      },
      onError,
    });
    cache.set('T1', 'one');
    cache.set('unrelated', 'x');
    expect(() => feed.emit({ id: 'T9' })).not.toThrow();
    expect(cache.stats().size).toBe(0);
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'bad mapping' }),
      expect.objectContaining({ id: 'T9' }),
    );
  });

  test('without onError, a failure is a process warning', async () => {
    const cache = new MemoryCache<string>({ max: 10 });
    const feed = new Notifier<unknown>();
    bindToCollection(cache, feed, {
      keysFor: () => {
        throw new Error('bad mapping');
      },
    });
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    feed.emit({ id: 'T9', type: 'delete' });
    const warning = await warned;
    expect(warning.message).toBe('[cache] invalidating for the delete of "T9" failed: bad mapping');
    expect(warning).toMatchObject({ code: 'VELLUM_CACHE_INVALIDATION' });
  });

  test('an asynchronous tier that fails to invalidate is reported; memory is already clean', async () => {
    const back = new MapTier<TieredRecord<string>>();
    back.delete = () => Promise.reject(new Error('redis down'));
    const cache = new TieredCache<string>(new MemoryCache({ max: 10 }), back);
    const feed = new Notifier<unknown>();
    const reported = new Promise<unknown>((resolve) =>
      bindToCollection(cache, feed, { onError: resolve }),
    );
    await cache.set('T1', 'one');
    feed.emit({ id: 'T1' });
    expect(cache.front.get('T1')).toBeUndefined();
    expect(await reported).toMatchObject({ message: 'redis down' });
  });
});

const Ticket = z.object({
  id: z.string().regex(/^T-\d+$/),
  title: z.string(),
  epic: z.string(),
  points: z.number().int().nonnegative(),
});
type Ticket = z.infer<typeof Ticket>;

async function openTickets(root: string): Promise<Collection<Ticket>> {
  const tickets = await Collection.open<Ticket>({
    root,
    name: 'tickets',
    schema: Ticket,
    layout: perDocumentLayout<Ticket>({ dir: 'tickets', pathOf: (_, id) => `${id}.json` }),
    indexes: { epic: { key: (t) => t.epic } },
    flushDelayMs: 10,
  });
  onCleanup(() => tickets.close());
  return tickets;
}

/** Epic progress as spec 002 caches it: points done over points planned, derived from several tickets. */
async function epicProgress(tickets: Collection<Ticket>, epic: string) {
  const page = await tickets.query({ where: { epic } });
  const done = page.items.filter((t) => t.title.startsWith('[done]'));
  return {
    value: done.reduce((sum, t) => sum + t.points, 0),
    tags: page.items.map((t) => `ticket:${t.id}`),
  };
}

describe('bindToCollection (two real collections on one store)', () => {
  test("another process's write invalidates this process's cache at its next read", async () => {
    const root = await freshDir();
    const a = await openTickets(root); // "process" A: holds the cache
    const b = await openTickets(root); // "process" B: writes
    await b.put({ id: 'T-1', title: 'Login page', epic: 'E1', points: 3 });
    await b.put({ id: 'T-2', title: '[done] Schema', epic: 'E1', points: 5 });

    const tickets = new MemoryCache<Ticket | null>({ name: 'tickets', max: 100 });
    const progress = new MemoryCache<number>({ name: 'epicProgress', max: 200, ttl: 5 * 60_000 });
    const seen: ChangeEvent<Ticket>[] = [];
    bindToCollection(tickets, a);
    bindToCollection(progress, a, {
      keysFor: () => [],
      tagsFor: (event) => [`ticket:${event.id}`],
    });

    const load = () => epicProgress(a, 'E1');
    const first = await load();
    expect(await progress.getOrLoad('E1', () => first.value, { tags: first.tags })).toBe(5);
    expect(await tickets.getOrLoad('T-1', async (id) => (await a.get(id)) ?? null)).toMatchObject({
      title: 'Login page',
    });

    a.onChange((event) => seen.push(event));
    await b.patch('T-1', { title: '[done] Login page' });

    // Not instant: A has not caught up with the journal, and a hit reads no collection.
    expect(progress.get('E1')).toBe(5);
    expect(tickets.get('T-1')).toMatchObject({ title: 'Login page' });

    // A's next read of anything catches up, and the change reaches the caches.
    await a.get('T-2');
    expect(seen).toEqual([expect.objectContaining({ id: 'T-1', type: 'put', source: 'remote' })]);
    expect(progress.get('E1')).toBeUndefined();
    expect(tickets.get('T-1')).toBeUndefined();
    expect(progress.stats()).toMatchObject({ invalidations: 1, size: 0 });
    expect(tickets.stats()).toMatchObject({ invalidations: 1, size: 0 });

    const second = await load();
    expect(await progress.getOrLoad('E1', () => second.value, { tags: second.tags })).toBe(8);
    expect(await tickets.getOrLoad('T-1', async (id) => (await a.get(id)) ?? null)).toMatchObject({
      title: '[done] Login page',
    });
  });

  test("this process's own writes invalidate when they commit, deletes included", async () => {
    const root = await freshDir();
    const a = await openTickets(root);
    const registry = new CacheRegistry();
    const tickets = registry.cache<Ticket | null>('tickets');
    const progress = registry.cache<number>('epicProgress');
    bindToCollection(registry, a, { tagsFor: (event) => [`ticket:${event.id}`] });

    await a.put({ id: 'T-1', title: 'x', epic: 'E1', points: 1 });
    tickets.set('T-1', (await a.get('T-1')) ?? null);
    progress.set('E1', 0, { tags: ['ticket:T-1'] });

    await a.delete('T-1');
    expect(tickets.get('T-1')).toBeUndefined();
    expect(progress.get('E1')).toBeUndefined();
    expect(registry.stats()).toMatchObject({
      tickets: { invalidations: 1 },
      epicProgress: { invalidations: 1 },
    });
  });

  test('a load that reads the collection and so catches up with the change it races is not cached', async () => {
    const root = await freshDir();
    const a = await openTickets(root);
    const b = await openTickets(root);
    await b.put({ id: 'T-1', title: 'old', epic: 'E1', points: 1 });
    const tickets = new MemoryCache<Ticket | null>({ max: 10 });
    bindToCollection(tickets, a);
    tickets.set('T-1', { id: 'T-1', title: 'old', epic: 'E1', points: 1 });

    await b.patch('T-1', { title: 'new' });
    tickets.delete('T-1'); // say a TTL ran out: the next read is a miss
    // The loader's read catches A up; the change event supersedes this very load.
    const loaded = await tickets.getOrLoad('T-1', async (id) => (await a.get(id)) ?? null);
    expect(loaded).toMatchObject({ title: 'new' });
    expect(tickets.get('T-1')).toBeUndefined();
    // The next miss loads again and is cached.
    await tickets.getOrLoad('T-1', async (id) => (await a.get(id)) ?? null);
    expect(tickets.get('T-1')).toMatchObject({ title: 'new' });
  });

  test('a tiered cache bound to a collection drops the entry from both tiers', async () => {
    const root = await freshDir();
    const a = await openTickets(root);
    const b = await openTickets(root);
    const back = new MapTier<TieredRecord<Ticket | null>>();
    const cache = new TieredCache<Ticket | null>(new MemoryCache({ max: 10 }), back);
    bindToCollection(cache, a);
    await b.put({ id: 'T-1', title: 'old', epic: 'E1', points: 1 });
    await cache.getOrLoad('T-1', async (id) => (await a.get(id)) ?? null);
    await cache.getOrLoad('T-1', async (id) => (await a.get(id)) ?? null);
    expect(back.entries.has('T-1')).toBe(true);

    await b.delete('T-1');
    await a.count();
    expect(cache.front.get('T-1')).toBeUndefined();
    await vi.waitFor(() => expect(back.entries.has('T-1')).toBe(false));
  });
});
