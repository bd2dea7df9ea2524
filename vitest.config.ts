import { defineConfig } from 'vitest/config';
import DemoFirstSequencer from './tests/sequencer.js';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 600_000,
    // A cold demo publish (bootstrap, judging, embedding) beside another test file can pass 10 minutes.
    hookTimeout: 1_200_000,
    // Two test files at a time on the two cores: the local model runs on one thread, every server a test starts
    // has its own name, port and data folder, and every run writes to its own temporary folder (the shared LLM
    // and vector caches are written by atomic renames). QCC_TEST_FILES=1 runs the files one at a time.
    fileParallelism: process.env.QCC_TEST_FILES !== '1',
    maxWorkers: Number(process.env.QCC_TEST_FILES ?? 2),
    minWorkers: 1,
    reporters: ['default'],
    globalSetup: ['tests/global-setup.ts'],
    sequence: { sequencer: DemoFirstSequencer },
  },
});
