import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'tools',
    include: ['src/**/*.test.ts'],
    // The end-to-end tests run real workloads (and Chromium) on a loaded 2-core machine.
    testTimeout: 600_000,
    hookTimeout: 900_000,
  },
});
