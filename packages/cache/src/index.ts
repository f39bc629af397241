export {
  bindToCollection,
  type BindOptions,
  type ChangeNotifier,
  type CollectionChange,
} from './bind.js';
export type { Clock } from './clock.js';
export { CACHE_ERROR_CODES, CACHE_WARNING_CODES, type CacheErrorCode } from './codes.js';
export { CacheError, UnknownCacheError, ValidationError, type ValidationIssue } from './errors.js';
export { MemoryCache, type MemoryCacheOptions } from './memory-cache.js';
export { DEFAULT_POLICIES, type CachePolicy, type DefaultCacheName } from './policies.js';
export { CacheRegistry, type CacheRegistryOptions } from './registry.js';
export type { CacheStats } from './stats.js';
export { TieredCache, type TieredRecord, type TieredStats } from './tiered-cache.js';
export type {
  Awaitable,
  CacheTier,
  Cacheable,
  Invalidator,
  TierLoadOptions,
  SetOptions,
} from './tier.js';
