import { readFile } from 'node:fs/promises';
import { expect, openDashboard, screenshot, test } from './fixtures';
import { startServe, type ServeProcess } from './serve-process';

test.describe.configure({ mode: 'serial' });

let serve: ServeProcess;
test.beforeAll(async () => { serve = await startServe({ config: { version: 1, instances: [] } }); });
test.afterAll(async () => { await serve?.dispose(); });

/** GET <prefix>/v1/info on the engine's master API with `key` as X-API-Key; the status. */
async function masterStatus(key: string): Promise<number> {
  const res = await fetch(`${serve.origin}/api/v1/info`, { headers: { 'x-api-key': key } });
  await res.arrayBuffer();
  return res.status;
}

test('routing mode and log level are set from the settings page', async ({ page }) => {
  await openDashboard(page, serve, 'settings');
  const mode = page.getByTestId('route-mode');
  await expect(mode).toHaveAttribute('data-mode', 'rule');
  await page.getByText('Direct', { exact: true }).click();
  await expect(mode).toHaveAttribute('data-mode', 'direct');
  await expect(page.getByTestId('route-mode-direct')).toBeChecked();
  await expect(page.getByText('Everything connects directly.')).toBeVisible();

  // Keyboard: arrow keys move through the radio group.
  await page.getByTestId('route-mode-direct').focus();
  await page.keyboard.press('ArrowLeft');
  await expect(mode).toHaveAttribute('data-mode', 'rule');
  await page.getByText('Global', { exact: true }).click();
  await expect(mode).toHaveAttribute('data-mode', 'global');
  await expect(page.getByTestId('route-global-outbound')).toHaveValue('direct');

  await page.getByTestId('settings-log-level').selectOption('debug');
  await expect(page.getByTestId('settings-log-level')).toHaveValue('debug');
  await screenshot(page, 'settings');

  // The engine kept both: a reload reads them back.
  await page.reload();
  await expect(mode).toHaveAttribute('data-mode', 'global');
  await expect(page.getByTestId('settings-log-level')).toHaveValue('debug');
  await expect(page.getByTestId('settings-error')).toHaveCount(0);
  // The desktop shell's panel exists only in the Electron app.
  await expect(page.getByTestId('desktop-panel')).toHaveCount(0);
});

test('the master API key is masked, revealed, rotated, and the new key is the one accepted', async ({ page }) => {
  await openDashboard(page, serve, 'settings');
  const key = page.getByTestId('master-key');
  await expect(key).toHaveText(/^•+[0-9a-f]{4}$/);
  await page.getByTestId('btn-master-reveal').click();
  await expect(key).toHaveText(/^[0-9a-f]{32}$/);
  const old = (await key.innerText()).trim();
  expect(await masterStatus(old)).toBe(200);

  await page.getByTestId('btn-master-rotate').click();
  await expect(key).not.toHaveText(old);
  await expect(key).toHaveText(/^[0-9a-f]{32}$/);
  const fresh = (await key.innerText()).trim();
  expect(await masterStatus(fresh)).toBe(200);
  expect(await masterStatus(old)).toBe(401);

  await page.getByTestId('master-alias').fill('desk-e2e');
  await page.getByTestId('btn-master-alias-save').click();
  await expect(page.getByTestId('btn-master-alias-save')).toBeDisabled();
  await page.reload();
  await expect(page.getByTestId('master-alias')).toHaveValue('desk-e2e');
  await page.getByTestId('btn-master-reveal').click();
  await expect(key).toHaveText(fresh);
});

test('export config downloads the engine configuration as JSON', async ({ page }) => {
  await openDashboard(page, serve, 'settings');
  const download = page.waitForEvent('download');
  await page.getByTestId('btn-export-config').click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^relaydesk-config-\d{4}-\d{2}-\d{2}\.json$/);
  const config = JSON.parse(await readFile((await file.path())!, 'utf8')) as { version: number; settings?: { route?: { mode?: string } } };
  expect(config.version).toBe(1);
  expect(config.settings?.route?.mode).toBe('global');
});

test('the new pages read in Chinese', async ({ page }) => {
  await openDashboard(page, serve, 'settings');
  await page.getByTestId('lang-switch').selectOption('zh-CN');
  await expect(page.getByTestId('nav-profiles')).toHaveText('节点');
  await expect(page.getByTestId('nav-users')).toHaveText('用户');
  await expect(page.getByTestId('nav-settings')).toHaveText('设置');
  await expect(page.getByRole('heading', { name: 'NodePass 主控 API' })).toBeVisible();
  await expect(page.getByTestId('btn-master-rotate')).toHaveText('更换密钥');
  await screenshot(page, 'settings-zh-CN');
  await page.getByTestId('nav-instances').click();
  await page.getByTestId('btn-new-instance').click();
  await expect(page.getByRole('heading', { name: '新建实例' })).toBeVisible();
  await page.getByTestId('instance-form-type').selectOption('nodepass');
  await expect(page.getByText('NodePass 实例 URL 格式：')).toBeVisible();
  await screenshot(page, 'instance-form-zh-CN');
  await page.getByTestId('lang-switch').selectOption('en');
});
