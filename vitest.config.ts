import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Files copied into the packed-tarball project (test/package/pack.test.ts), not run here.
    exclude: ['**/node_modules/**', 'test/package/fixture/**'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
