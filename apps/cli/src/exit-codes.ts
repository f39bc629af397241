import type { ErrorCategory } from '@vellum/atomic-io/codes';

/** Documented exit codes: part of the CLI's contract. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  corruption: 5,
} as const;

/** The exit code of each error category: the one place an error becomes an exit code. */
export const EXIT_BY_CATEGORY = {
  usage: EXIT.usage,
  'not-found': EXIT.notFound,
  conflict: EXIT.conflict,
  corruption: EXIT.corruption,
  failure: EXIT.failure,
} as const satisfies Record<ErrorCategory, number>;

function isCategory(value: unknown): value is ErrorCategory {
  return typeof value === 'string' && Object.hasOwn(EXIT_BY_CATEGORY, value);
}

/**
 * The category of anything thrown: a `VellumError`'s own (read as a property,
 * so an error from another copy of a package still counts), else `failure`.
 */
export function categoryOf(error: unknown): ErrorCategory {
  const category =
    typeof error === 'object' && error !== null
      ? (error as { category?: unknown }).category
      : undefined;
  return isCategory(category) ? category : 'failure';
}

/** The exit code for anything thrown, from its category alone. */
export function exitCodeFor(error: unknown): number {
  return EXIT_BY_CATEGORY[categoryOf(error)];
}
