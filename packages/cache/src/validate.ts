import { ValidationError } from './errors.js';
import type { TierLoadOptions, SetOptions } from './tier.js';

/** @throws {ValidationError} unless `key` is a string. */
export function checkKey(key: unknown, name = 'key'): asserts key is string {
  if (typeof key !== 'string')
    throw new ValidationError('cache arguments', [
      { path: [name], message: `must be a string, got ${typeof key}` },
    ]);
}

/** @throws {ValidationError} when `value` is `undefined`, which every tier reads as "absent". */
export function checkValue(value: unknown): void {
  if (value === undefined)
    throw new ValidationError('cache arguments', [
      {
        path: ['value'],
        message: 'undefined cannot be cached (it means "absent"); cache null instead',
      },
    ]);
}

/**
 * One tag or a list of them, as a list.
 * @throws {ValidationError} unless every tag is a string.
 */
export function toTags(tags: unknown, name = 'tags'): readonly string[] {
  const list: unknown = typeof tags === 'string' ? [tags] : tags;
  if (!Array.isArray(list))
    throw new ValidationError('cache arguments', [
      { path: [name], message: 'must be a string or an array of strings' },
    ]);
  for (const [i, tag] of list.entries())
    if (typeof tag !== 'string')
      throw new ValidationError('cache arguments', [
        { path: [name, i], message: 'must be a string' },
      ]);
  return list as readonly string[];
}

/**
 * Checked set options, with a lone tag string (from JavaScript) made a list.
 * @throws {ValidationError} when `ttl` is not a positive integer or a tag is not a string.
 */
export function checkSetOptions(options: SetOptions | undefined): SetOptions | undefined {
  if (options === undefined) return undefined;
  const { ttl, tags } = options;
  if (ttl !== undefined && !(Number.isSafeInteger(ttl) && ttl > 0))
    throw new ValidationError('cache arguments', [
      { path: ['options', 'ttl'], message: 'must be a positive integer (ms) or absent' },
    ]);
  return tags === undefined ? { ttl } : { ttl, tags: toTags(tags, 'options.tags') };
}

/**
 * Checked load options; tags given as a function are checked when it runs.
 * @throws {ValidationError} when `ttl` is not a positive integer or a tag is not a string.
 */
export function checkLoadOptions<V>(
  options: TierLoadOptions<V> | undefined,
): TierLoadOptions<V> | undefined {
  if (options === undefined || typeof options.tags !== 'function')
    return checkSetOptions(options as SetOptions | undefined);
  checkSetOptions({ ttl: options.ttl });
  return options;
}

/**
 * The set options a load stores its value with: its tags computed, if they
 * are a function of the value.
 * @throws {ValidationError} when the computed tags are not strings.
 * @throws whatever the tags function throws.
 */
export function optionsFor<V>(
  options: TierLoadOptions<V> | undefined,
  value: V,
): SetOptions | undefined {
  if (options === undefined || typeof options.tags !== 'function')
    return options as SetOptions | undefined;
  return { ttl: options.ttl, tags: toTags(options.tags(value), 'options.tags') };
}

/** The tags a running load is known to depend on; `'any'` when they are computed from its value. */
export function pendingTags<V>(options: TierLoadOptions<V> | undefined): readonly string[] | 'any' {
  const tags = options?.tags;
  if (typeof tags === 'function') return 'any';
  return tags ?? [];
}
