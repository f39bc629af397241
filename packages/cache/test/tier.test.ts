import { MemoryCache, TieredCache, type TieredRecord } from '../src/index.js';
import { MapTier } from './map-tier.js';
import { tierConformance, type Doc } from './tier-conformance.js';

tierConformance('MemoryCache', () => new MemoryCache<Doc>({ max: 100 }));
tierConformance(
  'MemoryCache with a TTL policy',
  () => new MemoryCache<Doc>({ max: 100, ttl: 60_000 }),
);
tierConformance(
  'TieredCache: memory in front of memory',
  () =>
    new TieredCache<Doc>(
      new MemoryCache({ max: 100 }),
      new MemoryCache<TieredRecord<Doc>>({ max: 1_000 }),
    ),
);
tierConformance(
  'TieredCache: memory in front of an async tier with prefix and tags',
  () => new TieredCache<Doc>(new MemoryCache({ max: 100 }), new MapTier<TieredRecord<Doc>>()),
);
tierConformance(
  'TieredCache: memory in front of an async tier without prefix or tags',
  () =>
    new TieredCache<Doc>(
      new MemoryCache({ max: 100 }),
      new MapTier<TieredRecord<Doc>>({ prefix: false, tags: false }),
    ),
);
// The test double itself, so the suites above lean on a tier that keeps the contract.
tierConformance('MapTier (test double)', () => new MapTier<Doc>());
