import type { Socket } from 'node:net';
import type { Page } from '@playwright/test';
import { expect, openDashboard, parseBytes, screenshot, test } from './fixtures';
import { startServe } from './serve-process';
import { connectRefused, httpGetOver, socks5Connect, startOrigin, type Origin } from './traffic';

// One engine per worker; these tests change its state (stop/start/delete) in this order.
test.describe.configure({ mode: 'serial' });

const instanceRow = (page: Page, name: string) => page.locator(`[data-testid="instance-row"][data-instance-name="${name}"]`);

async function proxyAddress(page: Page): Promise<string> {
  const row = instanceRow(page, 'Local proxy');
  await expect(row).toHaveAttribute('data-address', /^127\.0\.0\.1:\d+$/);
  return (await row.getAttribute('data-address'))!;
}

/** Opens a connection through the proxy that the origin keeps open (a byte every 200 ms). */
async function holdOpen(proxy: string, origin: Origin): Promise<Socket> {
  const s = await socks5Connect(proxy, origin);
  s.write(`GET /hold HTTP/1.1\r\nHost: ${origin.host}\r\n\r\n`);
  s.resume();
  return s;
}

function closed(socket: Socket): Promise<void> {
  return socket.closed || socket.destroyed ? Promise.resolve() : new Promise((res) => socket.once('close', () => res()));
}

test('the dashboard connects with the token and shows the local proxy running', async ({ page, serve }) => {
  await openDashboard(page, serve);
  expect(page.url(), 'the token is removed from the address bar').not.toContain('token=');
  const row = page.locator('[data-testid="dashboard-instance-row"][data-instance-name="Local proxy"]');
  await expect(row.getByTestId('instance-state')).toHaveAttribute('data-state', 'running');
  await expect(page.locator('[data-testid="speed-chart"] canvas').first()).toBeVisible();
  await expect(page.locator('.footer')).toContainText('Engine');

  // The session keeps the token: a reload still connects.
  await page.reload();
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected');
  await expect(row).toBeVisible();
});

test('traffic through the proxy shows up in Connections and in the totals', async ({ page, serve }) => {
  const origin = await startOrigin();
  const sockets: Socket[] = [];
  try {
    await openDashboard(page, serve, 'instances');
    const proxy = await proxyAddress(page);

    const held = await holdOpen(proxy, origin);
    sockets.push(held);
    await page.getByTestId('nav-connections').click();
    const conn = page.locator(`[data-testid="connection-row"][data-destination="127.0.0.1:${origin.port}"]`);
    await expect(conn).toHaveCount(1);
    await expect(conn).toContainText('socks5');
    await expect(conn).toContainText('direct');
    // Its counters move while it is open (the origin sends a byte every 200 ms).
    await expect(conn.locator('.down').first()).not.toHaveText('↓ 0 B');
    await expect(page.getByTestId('connections-count')).toHaveText('1 live connection');
    await screenshot(page, 'connections');

    // Close one from the UI: the client sees its socket end.
    await conn.getByTestId('btn-close-connection').click();
    await closed(held);
    await expect(conn).toHaveCount(0);
    await expect(page.getByText('No live connections.')).toBeVisible();

    // Close all.
    const two = [await holdOpen(proxy, origin), await holdOpen(proxy, origin)];
    sockets.push(...two);
    await expect(page.getByTestId('connection-row')).toHaveCount(2);
    await page.getByTestId('btn-close-all').click();
    await Promise.all(two.map(closed));
    await expect(page.getByTestId('connection-row')).toHaveCount(0);

    // A 2 MiB download raises the download total on the dashboard.
    await page.getByTestId('nav-dashboard').click();
    const totalDown = page.getByTestId('stat-total-down');
    const before = parseBytes(await totalDown.innerText());
    const size = 2 * 1024 * 1024;
    const s = await socks5Connect(proxy, origin);
    sockets.push(s);
    expect(await httpGetOver(s, origin.host, `/bytes/${size}`)).toBe(size);
    await expect.poll(async () => parseBytes(await totalDown.innerText())).toBeGreaterThanOrEqual(before + size * 0.99);
    expect(parseBytes(await page.getByTestId('stat-total-up').innerText())).toBeGreaterThan(0);

    // Keep something moving for the screenshot: a held connection and a speed on the chart.
    sockets.push(await holdOpen(proxy, origin));
    await expect(page.getByTestId('stat-connections')).toContainText('1');
    await screenshot(page, 'dashboard');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'dashboard-dark');
  } finally {
    for (const s of sockets) s.destroy();
    await origin.close();
  }
});

test('stopping the instance closes its port; starting it again serves', async ({ page, serve }) => {
  const origin = await startOrigin();
  try {
    await openDashboard(page, serve, 'instances');
    const row = instanceRow(page, 'Local proxy');
    const address = await proxyAddress(page);

    await row.getByTestId('btn-stop').click();
    await expect(row.getByTestId('instance-state')).toHaveAttribute('data-state', 'stopped');
    expect(await connectRefused(address), `${address} refuses once stopped`).toBe(true);
    await screenshot(page, 'instances-stopped');

    await row.getByTestId('btn-start').click();
    await expect(row.getByTestId('instance-state')).toHaveAttribute('data-state', 'running');
    const again = await proxyAddress(page);
    const s = await socks5Connect(again, origin);
    expect(await httpGetOver(s, origin.host, '/bytes/1000')).toBe(1000);

    // Restart keeps it running.
    await row.getByTestId('btn-restart').click();
    await expect(row.getByTestId('instance-state')).toHaveAttribute('data-state', 'running');
    await expect(page.getByTestId('instance-action-error')).toHaveCount(0);
  } finally {
    await origin.close();
  }
});

test('an instance that cannot bind shows as failed with its error code', async ({ page, serve }) => {
  await openDashboard(page, serve, 'instances');
  const row = instanceRow(page, 'Busy port');
  await expect(row.getByTestId('instance-state')).toHaveAttribute('data-state', 'failed');
  await expect(row.getByTestId('instance-error')).toContainText('E_LISTEN_ADDRINUSE');
  await expect(row.getByTestId('instance-listen')).toHaveText(serve.busyAddress);

  // Starting again fails the same way; the row keeps the code and the message.
  await row.getByTestId('btn-start').click();
  await expect(row.getByTestId('instance-state')).toHaveAttribute('data-state', 'failed');
  await expect(row.getByTestId('instance-error')).toContainText('already in use');
  await expect(instanceRow(page, 'Local proxy').getByTestId('instance-state')).toHaveAttribute('data-state', 'running');
  await screenshot(page, 'instances');
});

test('the logs view lists engine entries and filters by level', async ({ page, serve }) => {
  await openDashboard(page, serve, 'logs');
  const rows = page.getByTestId('log-row');
  await expect(rows.first()).toBeVisible();
  await expect(page.locator('[data-testid="log-row"][data-level="info"]').first()).toBeVisible();
  await screenshot(page, 'logs');

  await page.getByTestId('log-level-filter').selectOption('error');
  await expect(page.locator('[data-testid="log-row"][data-level="info"]')).toHaveCount(0);
  await expect(page.locator('[data-testid="log-row"][data-level="error"]').filter({ hasText: 'Busy port' }).first()).toBeVisible();
  await page.getByTestId('log-level-filter').selectOption('info');
  await expect(page.locator('[data-testid="log-row"][data-level="info"]').first()).toBeVisible();
});

test('switching to zh-CN changes the labels and is remembered', async ({ page, serve }) => {
  await openDashboard(page, serve);
  await expect(page.getByTestId('nav-instances')).toHaveText('Instances');
  await page.getByTestId('lang-switch').selectOption('zh-CN');
  await expect(page.getByTestId('nav-instances')).toHaveText('实例');
  await expect(page.getByTestId('nav-connections')).toHaveText('连接');
  await expect(page.getByTestId('stat-up-speed')).toContainText('上传');
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-CN');
  await screenshot(page, 'dashboard-zh-CN');

  await page.reload();
  await expect(page.getByTestId('nav-dashboard')).toHaveText('仪表盘');
  await page.getByTestId('lang-switch').selectOption('en');
  await expect(page.getByTestId('nav-dashboard')).toHaveText('Dashboard');
});

test('without a token, or with a wrong one, the page says how to get in', async ({ page, serve }) => {
  await page.goto(`${serve.origin}/`);
  const auth = page.getByTestId('auth-error');
  await expect(auth).toBeVisible();
  await expect(auth).toContainText('Open the URL printed by relaydesk serve');
  await screenshot(page, 'auth-error');

  await page.goto(`${serve.origin}/?token=wrong-token`);
  await expect(auth).toBeVisible();
  expect(page.url()).not.toContain('wrong-token');
});

test('deleting the instance asks for confirmation first', async ({ page, serve }) => {
  await openDashboard(page, serve, 'instances');
  const row = instanceRow(page, 'Local proxy');
  const address = await proxyAddress(page);

  await row.getByTestId('btn-delete').click();
  await expect(row.getByTestId('btn-confirm-delete')).toBeFocused();
  await screenshot(page, 'instances-confirm-delete');
  await row.getByTestId('btn-cancel-delete').click();
  await expect(row.getByTestId('btn-confirm-delete')).toHaveCount(0);
  await expect(row).toHaveCount(1);

  await row.getByTestId('btn-delete').click();
  await row.getByTestId('btn-confirm-delete').click();
  await expect(row).toHaveCount(0);
  await expect(page.getByTestId('instance-row')).toHaveCount(1);
  expect(await connectRefused(address)).toBe(true);

  // And the other one, which leaves the empty state.
  const busy = instanceRow(page, 'Busy port');
  await busy.getByTestId('btn-delete').click();
  await busy.getByTestId('btn-confirm-delete').click();
  await expect(page.getByText('No instances.')).toBeVisible();
});

test('the dashboard reconnects after the engine restarts', async ({ page }) => {
  test.setTimeout(60_000);
  const first = await startServe();
  let second: Awaited<ReturnType<typeof startServe>> | undefined;
  try {
    await openDashboard(page, first);
    await first.stop();
    await expect(page.getByTestId('banner-disconnected')).toBeVisible();
    await expect(page.getByTestId('banner-disconnected')).toContainText('Disconnected — reconnecting…');
    await screenshot(page, 'reconnecting');

    // Same data dir (same token) and the same port, so the page finds it again.
    second = await startServe({ dataDir: first.dataDir, listen: first.listen });
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'connected', { timeout: 20_000 });
    await expect(page.getByTestId('banner-disconnected')).toHaveCount(0);
    await expect(page.locator('[data-testid="dashboard-instance-row"][data-instance-name="Local proxy"]')).toBeVisible();
  } finally {
    await second?.stop();
    await first.dispose();
  }
});
