import { test as base, expect, type Page } from '@playwright/test';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { DEFAULT_CONFIG, ROOT, startServe, type ServeProcess } from './serve-process';

/** Where the e2e run leaves its screenshots of each view. */
export const SCREENSHOT_DIR = join(ROOT, 'test-results', 'screenshots');

/** The engine of a test file, with an instance that cannot bind ("Busy port"). */
export interface E2eServe extends ServeProcess {
  /** The address "Busy port" is configured on, held by the test so that its start fails. */
  busyAddress: string;
}

/**
 * One `relaydesk serve` per worker (the tests of a file run in order against it), configured
 * with "Local proxy" (mixed on 127.0.0.1:0) and "Busy port" (mixed on a port held open here).
 */
export const test = base.extend<{ noPageErrors: void }, { serve: E2eServe }>({
  // Any uncaught exception in the page fails the test.
  noPageErrors: [async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.stack ?? err.message));
    await use();
    expect(errors, 'uncaught errors in the page').toEqual([]);
  }, { auto: true }],
  serve: [async ({}, use) => {
    const blocker = net.createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', res));
    const busyAddress = `127.0.0.1:${(blocker.address() as net.AddressInfo).port}`;
    try {
      const serve = await startServe({
        config: {
          version: 1,
          instances: [
            ...DEFAULT_CONFIG.instances,
            { name: 'Busy port', spec: { type: 'mixed', listen: busyAddress } },
          ],
        },
      });
      try {
        await use({ ...serve, busyAddress });
      } finally {
        await serve.dispose();
      }
    } finally {
      await new Promise<void>((res) => blocker.close(() => res()));
    }
  }, { scope: 'worker', timeout: 30_000 }],
});

export { expect };

/** Opens the dashboard with its token and waits until it is connected. */
export async function openDashboard(page: Page, serve: ServeProcess, view = 'dashboard'): Promise<void> {
  const url = new URL(serve.url);
  url.hash = `#/${view}`;
  await page.goto(url.toString());
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected');
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  // No hover highlight from the last click.
  await page.mouse.move(1, 1);
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Reads "1.23 MB" back into bytes (1024-based), for comparing counters. */
export function parseBytes(text: string): number {
  const m = /([\d.]+)\s*(B|KB|MB|GB|TB)/.exec(text);
  if (!m) throw new Error(`no byte count in "${text}"`);
  return Number(m[1]) * 1024 ** ['B', 'KB', 'MB', 'GB', 'TB'].indexOf(m[2]);
}
