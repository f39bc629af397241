import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // NO_COLOR: runs in this process print no escapes (spawn.ts's children start without it).
    env: { UV_USE_IO_URING: '0', NO_COLOR: '1' },
  },
});
