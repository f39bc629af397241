import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: process.env.VELLUM_TORTURE === '1' ? [] : ['test/torture/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { UV_USE_IO_URING: '0' },
  },
});
