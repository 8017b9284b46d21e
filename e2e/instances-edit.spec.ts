import net from 'node:net';
import type { Page } from '@playwright/test';
import { expect, openDashboard, parseBytes, screenshot, test } from './fixtures';
import { startServe, type ServeProcess } from './serve-process';
import { httpGetOver, socks5Connect, startOrigin } from './traffic';

// This file's own engine (no preset instances); the tests build on each other in order.
test.describe.configure({ mode: 'serial' });

let serve: ServeProcess;
test.beforeAll(async () => { serve = await startServe({ config: { version: 1, instances: [] } }); });
test.afterAll(async () => { await serve?.dispose(); });

const instanceRow = (page: Page, name: string) => page.locator(`[data-testid="instance-row"][data-instance-name="${name}"]`);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

async function fillNew(page: Page, type: 'mixed' | 'vless' | 'nodepass', name: string): Promise<void> {
  await page.getByTestId('btn-new-instance').click();
  const form = page.getByTestId('instance-form');
  await expect(form.getByTestId('instance-form-name')).toBeFocused();
  await form.getByTestId('instance-form-type').selectOption(type);
  await form.getByTestId('instance-form-name').fill(name);
}

test('a mixed proxy created from the form runs and serves; an edit keeps it running', async ({ page }) => {
  const origin = await startOrigin();
  try {
    await openDashboard(page, serve, 'instances');
    await expect(page.getByText('No instances.')).toBeVisible();
    await fillNew(page, 'mixed', 'Form proxy');
    const form = page.getByTestId('instance-form');
    await expect(form.getByTestId('instance-form-listen')).toHaveValue('127.0.0.1:7890');
    await form.getByTestId('instance-form-listen').fill('127.0.0.1:0');
    await form.getByTestId('instance-form-add-user').click();
    await form.getByLabel('Username').fill('alice');
    await form.getByLabel('Password').fill('secret');
    await screenshot(page, 'instance-form-mixed');
    await form.getByTestId('instance-form-submit').click();
    await expect(form).toHaveCount(0);

    const row = instanceRow(page, 'Form proxy');
    await expect(row.getByTestId('instance-state')).toHaveAttribute('data-state', 'running');
    await expect(row).toHaveAttribute('data-address', /^127\.0\.0\.1:\d+$/);
    const address = (await row.getAttribute('data-address'))!;
    // The account is enforced: no credentials, no service.
    await expect(socks5Connect(address, origin)).rejects.toThrow();

    // Edit: remove the account and rename; the edit form starts from the saved values.
    await row.getByTestId('btn-edit').click();
    const edit = page.getByTestId('instance-form');
    await expect(edit.getByTestId('instance-form-type')).toBeDisabled();
    await expect(edit.getByLabel('Username')).toHaveValue('alice');
    await edit.getByRole('button', { name: 'Remove account 1' }).click();
    await edit.getByTestId('instance-form-name').fill('Open proxy');
    await edit.getByTestId('instance-form-submit').click();
    const renamed = instanceRow(page, 'Open proxy');
    await expect(renamed.getByTestId('instance-state')).toHaveAttribute('data-state', 'running');
    const again = (await renamed.getAttribute('data-address'))!;
    const s = await socks5Connect(again, origin);
    expect(await httpGetOver(s, origin.host, '/bytes/1000')).toBe(1000);
  } finally {
    await origin.close();
  }
});

test('the engine refuses a taken name and an invalid tunnel URL; the form shows why', async ({ page }) => {
  await openDashboard(page, serve, 'instances');
  await fillNew(page, 'mixed', 'Open proxy');
  const form = page.getByTestId('instance-form');
  await form.getByTestId('instance-form-listen').fill('127.0.0.1:0');
  await form.getByTestId('instance-form-submit').click();
  const error = form.getByTestId('instance-form-error');
  await expect(error).toContainText('E_CONFIG_CONFLICT');
  await expect(form).toBeVisible();

  // Same form, switched to a tunnel with a port out of range: the engine's message, kept on screen.
  await form.getByTestId('instance-form-type').selectOption('nodepass');
  await form.getByTestId('instance-form-name').fill('Bad tunnel');
  await expect(form.getByText('server://[key@]host:port/target')).toBeVisible();
  await form.getByTestId('instance-form-url').fill('client://127.0.0.1:99999/127.0.0.1:80?mode=1');
  await form.getByTestId('instance-form-submit').click();
  await expect(error).toContainText('E_CONFIG_INVALID');
  // The engine's own message, naming the bad part of the URL.
  await expect(error).toContainText(/port.*99999/);
  await screenshot(page, 'instance-form-invalid-url');
  await form.getByTestId('instance-form-cancel').click();
  await expect(form).toHaveCount(0);
  await expect(instanceRow(page, 'Bad tunnel')).toHaveCount(0);
});

test('a single-end nodepass tunnel shows its figures, which count traffic and reset', async ({ page }) => {
  test.setTimeout(60_000);
  const origin = await startOrigin();
  try {
    await openDashboard(page, serve, 'instances');
    const listenPort = await freePort();
    await fillNew(page, 'nodepass', 'Tunnel');
    const form = page.getByTestId('instance-form');
    await form.getByTestId('instance-form-url').fill(`client://127.0.0.1:${listenPort}/127.0.0.1:${origin.port}?mode=1`);
    await form.getByTestId('instance-form-submit').click();
    await expect(form).toHaveCount(0);

    const row = instanceRow(page, 'Tunnel');
    await expect(row.getByTestId('instance-state')).toHaveAttribute('data-state', 'running');
    const figures = row.getByTestId('tunnel-figures');
    await expect(figures.getByTestId('tunnel-mode')).toHaveText('client · single-end');
    await expect(figures.getByTestId('tunnel-tcptx')).toHaveText('↓ 0 B');

    // 100 KB through the tunnel shows up in tcptx (checkpoint events every few seconds).
    const s = net.connect(listenPort, '127.0.0.1');
    await new Promise<void>((res, rej) => s.once('connect', res).once('error', rej));
    expect(await httpGetOver(s, origin.host, `/bytes/${100 * 1024}`)).toBe(100 * 1024);
    s.destroy();
    await expect.poll(async () => parseBytes(await figures.getByTestId('tunnel-tcptx').innerText()), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(100 * 1024);
    expect(parseBytes(await figures.getByTestId('tunnel-tcprx').innerText())).toBeGreaterThan(0);
    await screenshot(page, 'instances-tunnel');

    await row.getByTestId('btn-reset-traffic').click();
    await expect(figures.getByTestId('tunnel-tcptx')).toHaveText('↓ 0 B');
    await expect(figures.getByTestId('tunnel-tcprx')).toHaveText('↑ 0 B');
    await expect(page.getByTestId('instance-action-error')).toHaveCount(0);
  } finally {
    await origin.close();
  }
});
