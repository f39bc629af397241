// Bundles the CLI (its workspace packages and dependencies included) into
// dist/: one module graph of a few chunks instead of ~200 files, which halves
// what `node` spends loading modules before a command runs. Chunks split at the
// CLI's own dynamic imports, so `--help` loads only the entry chunk.
import { rm } from 'node:fs/promises';
import { build } from 'esbuild';

await rm(new URL('./dist/', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: ['src/bin.ts'],
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // ESM builds of dependencies that ship both (jsonc-parser's UMD one loads files at run time).
  mainFields: ['module', 'main'],
  sourcemap: true,
  // Bundling renames a class whose name another package also uses (ValidationError2); errors set
  // `name` from their class, so names must survive.
  keepNames: true,
  logLevel: 'warning',
  // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __vellumRequire } from 'node:module'; const require = __vellumRequire(import.meta.url);",
  },
});
