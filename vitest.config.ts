import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Two cores shared with the local model: run test files one at a time.
    fileParallelism: false,
    reporters: ['default'],
  },
});
