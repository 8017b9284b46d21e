import net from 'node:net';
import { expect, openDashboard, screenshot, test } from './fixtures';
import { startServe, type ServeProcess } from './serve-process';

test.describe.configure({ mode: 'serial' });

let serve: ServeProcess;
/** A port nothing listens on: the imported server refuses, so the latency test reports an error. */
let deadPort: number;
test.beforeAll(async () => {
  serve = await startServe({ config: { version: 1, instances: [] } });
  const s = net.createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  deadPort = (s.address() as net.AddressInfo).port;
  await new Promise<void>((res) => s.close(() => res()));
});
test.afterAll(async () => { await serve?.dispose(); });

const UUID = '5783a3e7-e373-51cd-8642-c83782b807c5';

test('importing vless links lists the profile and reports warnings and bad lines', async ({ page }) => {
  await openDashboard(page, serve, 'profiles');
  await expect(page.getByTestId('profiles-empty')).toBeVisible();
  const link = `vless://${UUID}@127.0.0.1:${deadPort}?encryption=none&security=tls&sni=example.com&fp=chrome&type=ws&path=%2Fws#E2E%20node`;
  await page.getByLabel('Share links').fill(`${link}\nvless://not-a-link`);
  await page.getByTestId('btn-import-links').click();

  const result = page.getByTestId('profile-import-result');
  await expect(result).toContainText('1 profile imported.');
  await expect(result.getByTestId('profile-import-warning')).toContainText('Line 1');
  await expect(result.getByTestId('profile-import-line-error')).toContainText('Line 2 not imported');
  await expect(page.getByTestId('profile-import-text')).toHaveValue('');

  const row = page.locator('[data-testid="profile-row"][data-profile-name="E2E node"]');
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('profile-server')).toHaveText(`127.0.0.1:${deadPort}`);
  await expect(row).toContainText('vless');
  await screenshot(page, 'profiles');
});

test('a subscription URL the engine cannot fetch shows its error', async ({ page }) => {
  await openDashboard(page, serve, 'profiles');
  await page.getByTestId('profile-subscription-url').fill(`http://127.0.0.1:${deadPort}/sub`);
  await page.getByTestId('btn-import-subscription').click();
  await expect(page.getByTestId('profile-import-error')).toContainText(/E_[A-Z_]+/);
});

test('testing latency of an unreachable server shows the error', async ({ page }) => {
  await openDashboard(page, serve, 'profiles');
  const row = page.locator('[data-testid="profile-row"][data-profile-name="E2E node"]');
  await row.getByTestId('btn-test-profile').click();
  await expect(row.getByTestId('profile-latency-error')).toContainText(/E_[A-Z_]+/, { timeout: 15_000 });
});

test('using a profile routes everything through it; going direct and deleting it', async ({ page }) => {
  await openDashboard(page, serve, 'profiles');
  const row = page.locator('[data-testid="profile-row"][data-profile-name="E2E node"]');
  const id = (await row.getAttribute('data-profile-id'))!;
  await row.getByTestId('btn-use-profile').click();
  await expect(row).toHaveAttribute('data-in-use', 'true');
  await expect(page.getByTestId('profiles-route')).toHaveAttribute('data-mode', 'global');
  await expect(page.getByTestId('profiles-route')).toContainText('everything through “E2E node”');

  // The Settings page shows the same routing.
  await page.getByTestId('nav-settings').click();
  await expect(page.getByTestId('route-mode')).toHaveAttribute('data-mode', 'global');
  await expect(page.getByTestId('route-global-outbound')).toHaveValue(id);

  // While routing names it, the engine refuses to delete it and says so.
  await page.getByTestId('nav-profiles').click();
  await row.getByTestId('btn-delete-profile').click();
  await expect(page.getByTestId('profile-action-error')).toContainText('E_CONFIG_CONFLICT');

  await page.getByTestId('btn-route-direct').click();
  await expect(page.getByTestId('profiles-route')).toHaveAttribute('data-mode', 'direct');
  await expect(row).toHaveAttribute('data-in-use', 'false');
  await page.getByTestId('btn-route-rule').click();
  await expect(page.getByTestId('profiles-route')).toHaveAttribute('data-mode', 'rule');

  // No longer in use: it can go.
  await row.getByTestId('btn-delete-profile').click();
  await expect(row).toHaveCount(0);
  await expect(page.getByTestId('profiles-empty')).toBeVisible();
});
