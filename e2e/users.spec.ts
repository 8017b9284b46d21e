import { expect, openDashboard, screenshot, test } from './fixtures';
import { startServe, type ServeProcess } from './serve-process';

test.describe.configure({ mode: 'serial' });

const ALICE = '11111111-2222-4333-8444-555555555555';
let serve: ServeProcess;
test.beforeAll(async () => {
  serve = await startServe({
    config: {
      version: 1,
      instances: [
        { name: 'Local proxy', spec: { type: 'mixed', listen: '127.0.0.1:0' } },
        { name: 'Relay', spec: { type: 'vless', listen: '127.0.0.1:0', users: [{ name: 'alice', uuid: ALICE, quotaBytes: 1048576 }] } },
      ],
    },
  });
});
test.afterAll(async () => { await serve?.dispose(); });

test('the relay users are listed; a new user gets a generated UUID and a link', async ({ page }) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await openDashboard(page, serve, 'users');
  // Only VLESS relays are offered.
  await expect(page.getByTestId('users-relay').locator('option')).toHaveText(['Relay']);
  const alice = page.locator('[data-testid="user-row"][data-user-name="alice"]');
  await expect(alice.getByTestId('user-uuid')).toHaveText(ALICE);
  await expect(alice.getByTestId('user-traffic')).toContainText('0 B of 1.00 MB');

  await page.getByLabel('New user name').fill('bob');
  await page.getByLabel('New user name').press('Enter');
  const bob = page.locator('[data-testid="user-row"][data-user-name="bob"]');
  await expect(bob).toHaveAttribute('data-enabled', 'true');
  await expect(bob.getByTestId('user-uuid')).toHaveText(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  await expect(page.getByLabel('New user name')).toHaveValue('');

  await bob.getByTestId('btn-user-copy-link').click();
  await expect(bob.getByTestId('btn-user-copy-link')).toHaveText('Copied');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toMatch(/^vless:\/\//);
  expect(link).toContain(await bob.getAttribute('data-uuid'));
  await screenshot(page, 'users');

  // A taken name: the engine's conflict is shown.
  await page.getByLabel('New user name').fill('bob');
  await page.getByTestId('btn-user-create').click();
  await expect(page.getByTestId('user-error')).toContainText('E_CONFIG_CONFLICT');
});

test('disable, enable, rotate, reset quota and delete a user', async ({ page }) => {
  await openDashboard(page, serve, 'users');
  const bob = page.locator('[data-testid="user-row"][data-user-name="bob"]');
  await bob.getByTestId('btn-user-toggle').click();
  await expect(bob).toHaveAttribute('data-enabled', 'false');
  await expect(bob.getByTestId('user-enabled')).toHaveText('Disabled');
  await bob.getByTestId('btn-user-toggle').click();
  await expect(bob).toHaveAttribute('data-enabled', 'true');

  const before = await bob.getAttribute('data-uuid');
  await bob.getByTestId('btn-user-rotate').click();
  await expect(bob).not.toHaveAttribute('data-uuid', before!);

  const alice = page.locator('[data-testid="user-row"][data-user-name="alice"]');
  await alice.getByTestId('btn-user-reset-quota').click();
  await expect(page.getByTestId('user-error')).toHaveCount(0);

  await bob.getByTestId('btn-user-delete').click();
  await expect(page.getByTestId('btn-user-confirm-delete')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('btn-user-confirm-delete')).toHaveCount(0);
  await bob.getByTestId('btn-user-delete').click();
  await page.getByTestId('btn-user-confirm-delete').click();
  await expect(bob).toHaveCount(0);
  await expect(page.getByTestId('user-row')).toHaveCount(1);
});
