/**
 * The test suites that guard machines/ (the specification and the safety monitor), for
 * mutation testing: unit, scripted, shell and property tests. The model-based walk is left
 * out here only for speed (it re-runs thousands of paths per mutant); it runs in npm test.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/machines/**/*.test.ts', 'test/property/**/*.test.ts', 'test/runner/session.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
});
