import { configDefaults, defineConfig } from 'vitest/config';
import DemoFirstSequencer from './tests/sequencer.js';

// The 3-node Elasticsearch test runs on its own, after the rest (`npm run test:cluster`, the last part of `npm test`):
// beside two other files on the CI machine it once hung past its 10 minutes, which no run here reproduced (alone,
// or under a full suite, it takes 25-45 s); alone it competes with nothing for the two cores and the memory.
const CLUSTER_TEST = 'tests/index-es-cluster.test.ts';
const clusterPhase = process.env.QCC_TEST_PHASE === 'cluster';

export default defineConfig({
  test: {
    include: clusterPhase ? [CLUSTER_TEST] : ['tests/**/*.test.ts'],
    exclude: clusterPhase ? configDefaults.exclude : [...configDefaults.exclude, CLUSTER_TEST],
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
