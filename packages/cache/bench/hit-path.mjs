// Micro-benchmark, not a test: what a cache hit costs next to a plain Map
// lookup (the target: the hit path adds < 1 µs per read).
// Run after a build: node bench/hit-path.mjs [operations]
import { LRUCache } from 'lru-cache';
import { MemoryCache, TieredCache } from '@vellum/cache';

const OPS = Number(process.argv[2] ?? 2_000_000);
const RUNS = 9;
const KEYS = Array.from({ length: 1_000 }, (_, i) => `TASK-${String(i).padStart(3, '0')}-001`);
const VALUE = { id: 'TASK-000-001', status: 'pending' };

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const variants = [];
/** Registers `loop(ops)`, which reads `ops` times and returns how many reads hit. */
const variant = (name, baseline, loop, ops = OPS) =>
  variants.push({ name, baseline, loop, ops, samples: [] });

const map = new Map(KEYS.map((key) => [key, VALUE]));
const lru = new LRUCache({ max: 1_000 });
const plain = new MemoryCache({ name: 'tickets', max: 1_000 });
const expiring = new MemoryCache({ name: 'epicProgress', max: 1_000, ttl: 5 * 60_000 });
const tiered = new TieredCache(new MemoryCache({ max: 1_000 }), new MemoryCache({ max: 1_000 }));
for (const key of KEYS) {
  lru.set(key, VALUE);
  plain.set(key, VALUE);
  expiring.set(key, VALUE);
  await tiered.set(key, VALUE);
}

variant('Map.get', null, (ops) => {
  let hits = 0;
  for (let i = 0; i < ops; i++) if (map.get(KEYS[i % 1_000]) !== undefined) hits++;
  return hits;
});
variant('lru-cache get (no TTL)', 'Map.get', (ops) => {
  let hits = 0;
  for (let i = 0; i < ops; i++) if (lru.get(KEYS[i % 1_000]) !== undefined) hits++;
  return hits;
});
variant('MemoryCache.get, LRU (tickets)', 'Map.get', (ops) => {
  let hits = 0;
  for (let i = 0; i < ops; i++) if (plain.get(KEYS[i % 1_000]) !== undefined) hits++;
  return hits;
});
variant('MemoryCache.get, TTL + LRU (epicProgress)', 'Map.get', (ops) => {
  let hits = 0;
  for (let i = 0; i < ops; i++) if (expiring.get(KEYS[i % 1_000]) !== undefined) hits++;
  return hits;
});
// The read-through paths return promises; compare them with awaiting a Map.
const loader = () => VALUE;
const asyncOps = Math.max(1, Math.floor(OPS / 5));
variant(
  'await Map.get',
  null,
  async (ops) => {
    let hits = 0;
    for (let i = 0; i < ops; i++) if ((await map.get(KEYS[i % 1_000])) !== undefined) hits++;
    return hits;
  },
  asyncOps,
);
variant(
  'await MemoryCache.getOrLoad, hit',
  'await Map.get',
  async (ops) => {
    let hits = 0;
    for (let i = 0; i < ops; i++)
      if ((await plain.getOrLoad(KEYS[i % 1_000], loader)) !== undefined) hits++;
    return hits;
  },
  asyncOps,
);
variant(
  'await TieredCache.get, front hit',
  'await Map.get',
  async (ops) => {
    let hits = 0;
    for (let i = 0; i < ops; i++) if ((await tiered.get(KEYS[i % 1_000])) !== undefined) hits++;
    return hits;
  },
  asyncOps,
);

// Warm up every loop, then interleave the runs so that noise from the rest of
// the machine falls on every variant alike; report the median.
let sink = 0;
for (const { loop } of variants) sink += await loop(200_000);
for (let run = 0; run < RUNS; run++) {
  for (const entry of variants) {
    const start = process.hrtime.bigint();
    sink += await entry.loop(entry.ops);
    entry.samples.push(Number(process.hrtime.bigint() - start) / entry.ops);
  }
}
if (sink < 0) console.log('unreachable'); // keeps the loops' results alive

console.log(
  `Node ${process.version}, ${OPS.toLocaleString('en')} reads per run (async: ${asyncOps.toLocaleString('en')}), median of ${RUNS} interleaved runs, 1,000 keys, all hits\n`,
);
const nsOf = new Map(variants.map((entry) => [entry.name, median(entry.samples)]));
for (const { name, baseline } of variants) {
  const ns = nsOf.get(name);
  const note =
    baseline === null
      ? '(baseline)'
      : `${ns - nsOf.get(baseline) >= 0 ? '+' : ''}${(ns - nsOf.get(baseline)).toFixed(1)} ns over ${baseline}`;
  console.log(`${name.padEnd(44)} ${ns.toFixed(1).padStart(7)} ns/read  ${note}`);
}
