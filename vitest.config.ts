import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // End-to-end tests start real server processes; two cores, so keep parallelism modest.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default'],
    globalSetup: ['test/support/global-setup.ts'],
  },
});
