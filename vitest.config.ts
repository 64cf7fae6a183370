import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CDK synthesis, esbuild bundling and moto start-up take seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores here: more workers only make the moto-backed suites fight for CPU.
    maxWorkers: 2,
  },
});
