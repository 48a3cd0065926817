/**
 * Browser steps for share-link tests (playwright-core pages): sign in on the sign-in page, make a
 * share link through the file manager's Share dialog, open a link in a fresh anonymous context.
 * Other browser tests (VGrid pages) reuse them.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Signs in with email and password on `/login` and waits for the file manager. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL((url) => url.pathname === '/files'), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** What the Share dialog asks for. */
export interface ShareDialogInput {
  readonly mode?: 'ro' | 'wo' | 'rw';
  /** `YYYY-MM-DD`. */
  readonly expires?: string;
  readonly password?: string;
  readonly maxUses?: number;
  readonly invite?: string;
}

/** What the Share dialog showed after making the link. */
export interface MadeLink {
  readonly id: string;
  readonly url: string;
}

/**
 * In the file manager, opens folder `dir`, selects the entry `name`, makes a link with the Share
 * dialog and returns the id and address it showed (closing the dialog).
 */
export async function shareFromFileManager(page: Page, dir: string, name: string, input: ShareDialogInput = {}): Promise<MadeLink> {
  await page.goto(`/files?path=${encodeURIComponent(dir)}`);
  const row = page.locator('#listing tbody tr', { has: page.locator('td.name a', { hasText: name }) });
  await row.locator('.pick').check();
  await page.getByRole('button', { name: 'Share', exact: true }).click();
  const dialog = page.locator('#share-dialog');
  await dialog.waitFor();
  if (input.mode !== undefined) await dialog.getByLabel('Access').selectOption(input.mode);
  if (input.expires !== undefined) await dialog.getByLabel('Expires').fill(input.expires);
  if (input.password !== undefined) await dialog.getByLabel('Password').fill(input.password);
  if (input.maxUses !== undefined) await dialog.getByLabel('Most uses').fill(String(input.maxUses));
  if (input.invite !== undefined) await dialog.getByLabel('Invite by email').fill(input.invite);
  await dialog.getByRole('button', { name: 'Create link' }).click();
  await dialog.locator('#share-result').waitFor();
  const id = ((await dialog.locator('#share-id').textContent()) ?? '').trim();
  const url = await dialog.locator('#share-url').inputValue();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await dialog.waitFor({ state: 'detached' });
  return { id, url };
}

/** A fresh browser context with no cookies (nobody signed in), on the site at `base`. */
export async function anonymousContext(browser: Browser, base: string): Promise<BrowserContext> {
  return browser.newContext({ ignoreHTTPSErrors: true, baseURL: base, acceptDownloads: true });
}
