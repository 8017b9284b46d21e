import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['core/**/*.test.ts', 'electron/**/*.test.ts', 'renderer/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Network tests bind loopback port 0; a few spawn real peers (curl, v2ray).
    pool: 'forks',
    maxWorkers: 2,
  },
});
