import { defineConfig } from 'vitest/config';

// One root config for every package: tests sit beside the code (packages/*/src/*.test.ts,
// tools/src), and the native specs have one tree of their own (native/test).
export default defineConfig({
  test: {
    include: ['packages/**/src/**/*.test.ts', 'native/test/**/*.test.ts', 'tools/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Stops the run at once, with one line, on a machine that lacks a prerequisite (npm run setup).
    globalSetup: ['tools/src/bench/prereqs-global-setup.ts'],
    // A loaded 2-core machine: generous defaults; native specs set their own.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
