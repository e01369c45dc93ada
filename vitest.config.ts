import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Timing assertions compare against fixture delays; keep test files from competing for the 2 cores.
    fileParallelism: false,
    reporters: ['default'],
  },
});
