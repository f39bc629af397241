/**
 * Child processes for the multi-process tests. The scripts in test/children
 * import the built package (dist/index.js): `npm test` builds before testing.
 */
import { fileURLToPath } from 'node:url';
import { assertBuilt as assertPackageBuilt, spawnNode, type Child } from '@vellum/test-utils';

const packageDir = fileURLToPath(new URL('../../', import.meta.url));
const BUILD = 'npx -y pnpm@10.34.9 turbo run build --filter=@vellum/external-ids';

/** Fails with a clear message when the package was not built, or src changed since. */
export function assertBuilt(): void {
  assertPackageBuilt(packageDir, BUILD);
}

/** `node test/children/<script> ...args`, killed after the test if still running. */
export function startChild(script: string, args: readonly string[]): Child {
  return spawnNode(fileURLToPath(new URL(`../children/${script}`, import.meta.url)), args);
}
