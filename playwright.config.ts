import { defineConfig, devices } from '@playwright/test';

/**
 * End-to-end: the built dashboard (dist/renderer) in Debian's Chromium against a real
 * `relaydesk serve` (dist/cli.js) started by the fixtures in e2e/fixtures.ts.
 * Build first: `node build/bundle.js && npx vite build`, then `npx playwright test`.
 */
export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results/playwright',
  // Tests share one engine per worker and change its state (stop/start/delete) in order.
  fullyParallel: false,
  workers: 1,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    ...devices['Desktop Chrome'],
    viewport: { width: 1280, height: 800 },
    locale: 'en-US',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.RELAYDESK_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
});
