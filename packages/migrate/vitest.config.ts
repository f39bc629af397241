import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The suites wait on fsync, not on the CPU: two files at once halve the run even on 2 cores.
    maxWorkers: 2,
    env: { UV_USE_IO_URING: '0' },
  },
});
