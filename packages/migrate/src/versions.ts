/**
 * A version: dotted non-negative integers. Spec 000 counts versions (`3`,
 * compared with `seq`), spec 002 writes `1.0.0`; both are this shape. Missing
 * trailing parts count as 0, so `1` and `1.0.0` are the same version.
 */
export type Version = string;

const VERSION = /^\d+(\.\d+)*$/;

/** Whether `value` is a version string or a non-negative integer. */
export function isVersion(value: unknown): value is string | number {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0;
  return typeof value === 'string' && VERSION.test(value);
}

/** The version as a string; `undefined` when it is not one. */
export function toVersion(value: unknown): Version | undefined {
  return isVersion(value) ? String(value) : undefined;
}

/** Negative when `a` is older than `b`, 0 when equal, positive when newer. Both must be versions. */
export function compareVersions(a: Version, b: Version): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return Math.sign(difference);
  }
  return 0;
}

export function sameVersion(a: Version, b: Version): boolean {
  return compareVersions(a, b) === 0;
}
