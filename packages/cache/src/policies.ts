import { ValidationError, type ValidationIssue } from './errors.js';

/** How big a cache may grow and how long its entries live. */
export interface CachePolicy {
  /** Most entries held; past it the least recently used one is evicted. A positive integer. */
  readonly max: number;
  /** Milliseconds an entry lives after it is set; absent for no expiry. A positive integer. */
  readonly ttl?: number | undefined;
}

const MINUTE = 60_000;

/**
 * Spec 002's cache policy table, plus spec 000's query cache (5 minute TTL;
 * the spec sets no size, so 1,000 entries is our choice).
 */
export const DEFAULT_POLICIES = Object.freeze({
  projects: Object.freeze({ max: 100 }),
  tickets: Object.freeze({ max: 1_000 }),
  epicProgress: Object.freeze({ max: 200, ttl: 5 * MINUTE }),
  dependencyGraphs: Object.freeze({ max: 50, ttl: 10 * MINUTE }),
  aiContexts: Object.freeze({ max: 20, ttl: 30 * MINUTE }),
  queries: Object.freeze({ max: 1_000, ttl: 5 * MINUTE }),
}) satisfies Readonly<Record<string, CachePolicy>>;

/** The names of the caches in {@link DEFAULT_POLICIES}. */
export type DefaultCacheName = keyof typeof DEFAULT_POLICIES;

const isPositiveInteger = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0;

/** What is wrong with a policy, each issue under `path`. */
export function policyIssues(
  policy: unknown,
  path: readonly (string | number)[],
): ValidationIssue[] {
  if (typeof policy !== 'object' || policy === null)
    return [{ path, message: 'must be an object { max, ttl? }' }];
  const { max, ttl } = policy as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  if (!isPositiveInteger(max))
    issues.push({ path: [...path, 'max'], message: 'must be a positive integer' });
  if (ttl !== undefined && !isPositiveInteger(ttl))
    issues.push({ path: [...path, 'ttl'], message: 'must be a positive integer (ms) or absent' });
  return issues;
}

/**
 * A copy of `policy`, checked.
 * @throws {ValidationError} when `max` or `ttl` is not a positive integer.
 */
export function checkPolicy(
  policy: CachePolicy,
  path: readonly (string | number)[] = [],
): CachePolicy {
  const issues = policyIssues(policy, path);
  if (issues.length > 0) throw new ValidationError('cache policy', issues);
  return Object.freeze(
    policy.ttl === undefined ? { max: policy.max } : { max: policy.max, ttl: policy.ttl },
  );
}
