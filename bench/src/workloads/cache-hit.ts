import { MemoryCache, TieredCache, type TieredRecord } from '@vellum/cache';
import { LRUCache } from 'lru-cache';
import { median, sampleAll, type Contender } from '../measure.js';
import { below, rowsFrom, sizeOf, type Check, type RowSpec, type Workload } from '../workload.js';

const MAP = 'Map.get (ceiling)';
const LRU = 'lru-cache 11 get, no TTL (reference)';
const PLAIN = '@vellum/cache MemoryCache.get, LRU (tickets)';
const EXPIRING = '@vellum/cache MemoryCache.get, TTL + LRU (epicProgress)';
const AWAIT_MAP = 'await Map.get (async ceiling)';
const GET_OR_LOAD = '@vellum/cache await MemoryCache.getOrLoad, hit';
const TIERED = '@vellum/cache await TieredCache.get, front hit';

const KEY_COUNT = 1000;
const KEYS = Array.from({ length: KEY_COUNT }, (_, i) => `TASK-${String(i).padStart(3, '0')}-001`);
type Value = { readonly id: string; readonly status: string };
const VALUE: Value = { id: 'TASK-000-001', status: 'pending' };
/**
 * Untimed reads before each sample, whatever the count: a tenth of `--quick`'s counts leaves the
 * async loops unoptimized (800 ns a read instead of 150).
 */
const WARMUP = 200_000;
const key = (seq: number): string => KEYS[seq % KEY_COUNT] ?? '';

/** Reads `count` times, each loop its own code (one call site per cache); returns how many hit. */
type Loop = (count: number) => number | Promise<number>;

export const cacheHit: Workload = {
  name: 'cache-hit',
  async run(options) {
    const reads = sizeOf(options, 'reads', 2_000_000, 200_000);
    // An awaited read costs a microtask turn: a fifth as many keeps the rounds alike in length.
    const asyncReads = Math.max(1, Math.floor(reads / 5));
    const rounds = sizeOf(options, 'rounds', 9, 1);

    const map = new Map(KEYS.map((k) => [k, VALUE]));
    const lru = new LRUCache<string, Value>({ max: KEY_COUNT });
    const plain = new MemoryCache<Value>({ name: 'tickets', max: KEY_COUNT });
    const expiring = new MemoryCache<Value>({
      name: 'epicProgress',
      max: KEY_COUNT,
      ttl: 5 * 60_000,
    });
    const tiered = new TieredCache<Value>(
      new MemoryCache<Value>({ max: KEY_COUNT }),
      new MemoryCache<TieredRecord<Value>>({ max: KEY_COUNT }),
    );
    for (const k of KEYS) {
      lru.set(k, VALUE);
      plain.set(k, VALUE);
      expiring.set(k, VALUE);
      await tiered.set(k, VALUE);
    }
    const loader = (): Value => VALUE;

    // Every read must hit: a miss would time another path. Counting the hits also keeps the
    // loops' results alive.
    const missed = new Map<string, number>();
    /** One timed loop per sample, after an untimed warm-up; the sample is reads per second. */
    const contender = (name: string, count: number, loop: Loop): Contender => {
      missed.set(name, 0);
      return {
        name,
        async sample() {
          const warmHits = await loop(WARMUP);
          const start = performance.now();
          const hits = await loop(count);
          const seconds = (performance.now() - start) / 1000;
          missed.set(name, (missed.get(name) ?? 0) + WARMUP + count - warmHits - hits);
          return count / seconds;
        },
      };
    };
    const samples = await sampleAll(
      [
        contender(MAP, reads, (count) => {
          let hits = 0;
          for (let i = 0; i < count; i++) if (map.get(key(i)) !== undefined) hits++;
          return hits;
        }),
        contender(LRU, reads, (count) => {
          let hits = 0;
          for (let i = 0; i < count; i++) if (lru.get(key(i)) !== undefined) hits++;
          return hits;
        }),
        contender(PLAIN, reads, (count) => {
          let hits = 0;
          for (let i = 0; i < count; i++) if (plain.get(key(i)) !== undefined) hits++;
          return hits;
        }),
        contender(EXPIRING, reads, (count) => {
          let hits = 0;
          for (let i = 0; i < count; i++) if (expiring.get(key(i)) !== undefined) hits++;
          return hits;
        }),
        // The read-through paths return promises: they are compared with awaiting a Map.
        contender(AWAIT_MAP, asyncReads, async (count) => {
          let hits = 0;
          // eslint-disable-next-line @typescript-eslint/await-thenable -- the cost of an await is the point
          for (let i = 0; i < count; i++) if ((await map.get(key(i))) !== undefined) hits++;
          return hits;
        }),
        contender(GET_OR_LOAD, asyncReads, async (count) => {
          let hits = 0;
          for (let i = 0; i < count; i++)
            if ((await plain.getOrLoad(key(i), loader)) !== undefined) hits++;
          return hits;
        }),
        contender(TIERED, asyncReads, async (count) => {
          let hits = 0;
          for (let i = 0; i < count; i++) if ((await tiered.get(key(i))) !== undefined) hits++;
          return hits;
        }),
      ],
      rounds,
      options.dir,
    );

    const nsPerRead = (name: string): number => 1e9 / median(samples.get(name) ?? []);
    const hitCheck = (name: string): Check => {
      const misses = missed.get(name) ?? 0;
      return { text: misses === 0 ? 'every read hit' : `${misses} misses`, ok: misses === 0 };
    };
    /** The hit's cost over its ceiling's, in ns per read, in the notes; the target in µs. */
    const overHit = (name: string, ceiling: string, target: boolean): RowSpec => {
      const added = nsPerRead(name) - nsPerRead(ceiling);
      const against = ceiling === MAP ? 'Map.get' : 'await Map.get';
      return {
        ...(target ? { target: () => below(added / 1000, 1, `µs added per read`) } : {}),
        check: hitCheck(name),
        note: `${nsPerRead(name).toFixed(1)} ns/read, ${Math.abs(added).toFixed(1)} ns ${added >= 0 ? 'more' : 'less'} than ${against}`,
      };
    };
    return {
      workload: 'cache-hit',
      metric: 'ops/s',
      baseline: MAP,
      counts: { reads, asyncReads, warmup: WARMUP, keys: KEY_COUNT, rounds },
      rows: rowsFrom(samples, MAP, {
        [MAP]: { check: hitCheck(MAP), note: `${nsPerRead(MAP).toFixed(1)} ns/read` },
        [LRU]: overHit(LRU, MAP, false),
        [PLAIN]: overHit(PLAIN, MAP, true),
        [EXPIRING]: overHit(EXPIRING, MAP, true),
        [AWAIT_MAP]: overHit(AWAIT_MAP, MAP, false),
        [GET_OR_LOAD]: overHit(GET_OR_LOAD, AWAIT_MAP, true),
        [TIERED]: overHit(TIERED, AWAIT_MAP, true),
      }),
    };
  },
};
