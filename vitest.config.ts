import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Installs (as root) or names the system programs the tests need, and removes every test's temporary files.
    globalSetup: ['test/global-setup.ts'],
    // CDK synthesis, esbuild bundling and moto start-up take seconds, not milliseconds.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores here: more workers only make the moto-backed suites fight for CPU.
    maxWorkers: 2,
    // The SDK's notice that its 2027 releases need Node 22 (local/sdk-warning.ts) would otherwise be a third of
    // the test log; the entry points the tests start as processes set the same themselves.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
