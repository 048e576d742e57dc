import { defineConfig } from 'vitest/config';

// Tests live in test/ mirroring the sources (../shared/STYLE.md). Each file runs in its own
// forked process: the local Functions host installs `@azure/functions-core` per process, and
// `@azure/functions` caches whether it found it.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    restoreMocks: true,
  },
});
