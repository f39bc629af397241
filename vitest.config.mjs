import { defineConfig } from 'vitest/config';

// Root tests: repository rules. Each package runs its own suite through turbo.
export default defineConfig({
  test: { include: ['scripts/**/*.test.mjs'] },
});
