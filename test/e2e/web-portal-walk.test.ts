/**
 * The web portal walked end to end in real headless Chromium over HTTPS: sign up → the admin
 * accepts on the admin pages → the person learns it by email → sign in → turn on two-factor
 * sign-in → sign out and in again with a code → the file manager (upload 3 files and a folder
 * with the pickers and progress shown, rename, move, delete, restore from the trash, download and
 * compare bytes) → sign out (the session is dead). Plus: a file named like HTML shows as text and
 * runs nothing, and signing in works with the keyboard alone.
 *
 * The steps run in order and share the two browser contexts (the new user, the admin); a failing
 * step leaves screenshots in a temp folder (its path is in the error).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as OTPAuth from 'otpauth';
import { pino } from 'pino';
import { request as httpRequest, type Browser, type BrowserContext, type Dialog, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebServer } from '@migrid/web';
import { openTestSite, type TestSite } from '../support/test-site.js';
import { FailureShots, launchChromium, readMailLog } from './browser-support.js';

/** Longest wait for one thing to appear in a page (generous: 2 cores, several test files at once). */
const WAIT = 15_000;

// Code run in the page, as strings: this project type-checks without the DOM library.
/** The id of the focused element. */
const FOCUSED_ID = '(document.activeElement && document.activeElement.id) || null';
/** True when the focused element has the id passed as the argument. */
const FOCUSED_ID_IS = '(id) => document.activeElement !== null && document.activeElement.id === id';
/** The trimmed text of the focused element. */
const FOCUSED_TEXT = '(document.activeElement && document.activeElement.textContent.trim()) || null';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('the web portal, walked in headless Chromium', () => {
  let t: TestSite;
  let server: WebServer;
  let base: string;
  let browser: Browser;
  let userContext: BrowserContext;
  let adminContext: BrowserContext;
  let user: Page;
  let admin: Page;
  let work: string;
  /** Native JS dialogs (alert/confirm/prompt) any page opened: the XSS check wants none. */
  const jsDialogs: string[] = [];
  const shots = new FailureShots();

  const person = {
    fullName: 'Walk Through Person',
    email: `walker-${process.pid}@example.org`,
    organization: 'Test Org',
    country: 'DK',
    password: `Walk-Pass-${process.pid}-x9!Q`,
  };
  let totpSecret = '';
  /** The code used to turn TOTP on (replaying it must fail). */
  let enrolCode = '';

  /** One step of the walk: on failure, screenshots of both pages go to a temp folder. */
  const step = (name: string, fn: () => Promise<void>, timeout = 60_000): void => {
    it(name, async () => {
      try {
        await fn();
      } catch (err) {
        const files = await shots.take(name, { user, admin });
        if (err instanceof Error && files.length > 0) err.message += `\n(screenshots: ${files.join(', ')})`;
        throw err;
      }
    }, timeout);
  };

  const watchDialogs = (page: Page): void => {
    page.on('dialog', (d: Dialog) => {
      jsDialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss().catch(() => undefined);
    });
  };

  /** The path part of a page's URL. */
  const pathOf = (page: Page): string => new URL(page.url()).pathname;

  /** The TOTP code of the enrolled secret at now + `offsetMs`. */
  function codeAt(offsetMs: number): string {
    return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(totpSecret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + offsetMs });
  }

  /** What `GET /api/v1/account` answers the page's session. */
  async function accountStatus(page: Page): Promise<number> {
    return page.evaluate(async () => (await fetch('/api/v1/account', { credentials: 'same-origin' })).status);
  }

  beforeAll(async () => {
    t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
    server = new WebServer({ site: t.site });
    const { port } = await server.listen(0, '127.0.0.1');
    base = `https://127.0.0.1:${port}`;
    work = await mkdtemp(join(tmpdir(), 'mig-e2e-walk-'));
    browser = await launchChromium();
    // The site's host certificate names `localhost`, not 127.0.0.1: accept it for this test only.
    userContext = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: base, acceptDownloads: true });
    adminContext = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: base });
    userContext.setDefaultTimeout(WAIT);
    adminContext.setDefaultTimeout(WAIT);
    user = await userContext.newPage();
    admin = await adminContext.newPage();
    watchDialogs(user);
    watchDialogs(admin);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  // ------------------------------------------------------------------ the account

  step('a person asks for an account on the sign-up page', async () => {
    await user.goto('/signup');
    await user.getByLabel('Full name').fill(person.fullName);
    await user.getByLabel('Email').fill(person.email);
    await user.getByLabel('Organisation').fill(person.organization);
    await user.getByLabel('Country').fill(person.country);
    await user.getByLabel(/^Password\b/).fill(person.password);
    await user.getByLabel('Repeat the password').fill(person.password);
    await user.getByRole('checkbox', { name: /accept the terms/i }).check();
    await user.getByRole('button', { name: 'Send the request' }).click();
    await user.getByRole('heading', { name: 'Request sent' }).waitFor();
    // Not an account yet: signing in is refused like any wrong password.
    await user.goto('/login');
    await user.getByLabel('Email').fill(person.email);
    await user.getByLabel('Password').fill(person.password);
    await user.getByRole('button', { name: 'Sign in' }).click();
    await user.getByText('Wrong email or password.').waitFor();
  });

  step('the admin signs in with the keyboard alone (Tab, typing, Enter)', async () => {
    await admin.goto('/login');
    // The email field has autofocus; no mouse from here to the signed-in page.
    await admin.waitForFunction(FOCUSED_ID_IS, 'f-login');
    await admin.keyboard.type(t.adminEmail);
    await admin.keyboard.press('Tab');
    expect(await admin.evaluate(FOCUSED_ID)).toBe('f-password');
    await admin.keyboard.type(t.adminPassword);
    await Promise.all([admin.waitForURL((url) => url.pathname !== '/login'), admin.keyboard.press('Enter')]);
    await admin.getByRole('button', { name: 'Sign out' }).waitFor();
    // A keyboard user can also reach the sign-in button itself by tabbing from the password field.
    const other = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: base });
    try {
      const page = await other.newPage();
      await page.goto('/login');
      await page.waitForFunction(FOCUSED_ID_IS, 'f-login');
      await page.keyboard.type(t.adminEmail);
      await page.keyboard.press('Tab');
      await page.keyboard.type(t.adminPassword);
      await page.keyboard.press('Tab');
      expect(await page.evaluate(FOCUSED_TEXT)).toBe('Sign in');
      await Promise.all([page.waitForURL((url) => url.pathname !== '/login', { timeout: WAIT }), page.keyboard.press('Space')]);
      await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: WAIT });
    } finally {
      await other.close();
    }
  });

  step('the admin accepts the request on /admin/requests', async () => {
    await admin.goto('/admin/requests');
    const card = admin.locator('section.card', { hasText: person.email });
    await card.getByRole('heading').waitFor();
    // The request's data is shown as text.
    expect(await card.getByRole('heading').textContent()).toBe(`${person.fullName} <${person.email}>`);
    await card.getByRole('button', { name: 'Accept' }).click();
    await admin.getByText(`Accepted: ${person.email} has an account now.`).waitFor();
    expect(await admin.locator('section.card', { hasText: person.email }).count()).toBe(0);
  });

  step('the person learns of the acceptance by email', async () => {
    const mails = await readMailLog(t.site.paths.mailLog);
    const toAdmin = mails.find((m) => m.topic === 'signup.new' && m.text.includes(person.email));
    expect(toAdmin, 'the admins hear of the request').toBeDefined();
    const accepted = mails.filter((m) => m.topic === 'signup.accepted' && m.to.includes(person.email));
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.subject).toMatch(/account is ready/);
    expect(accepted[0]!.text).toContain('/login');
  });

  step('the person signs in with the password', async () => {
    await user.goto('/login');
    await user.getByLabel('Email').fill(person.email);
    await user.getByLabel('Password').fill(person.password);
    await Promise.all([user.waitForURL((url) => url.pathname === '/files'), user.getByRole('button', { name: 'Sign in' }).click()]);
    await user.getByRole('heading', { name: 'Files', exact: true }).waitFor();
    const account = await user.evaluate(async () => {
      const res = await fetch('/api/v1/account', { credentials: 'same-origin' });
      return { status: res.status, body: (await res.json()) as { email?: string; fullName?: string } };
    });
    expect(account.status).toBe(200);
    expect(account.body).toMatchObject({ email: person.email, fullName: person.fullName });
  });

  step('the person turns on two-factor sign-in from the QR code page', async () => {
    await user.goto('/settings');
    await user.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    const qr = user.getByRole('img', { name: /QR code/ });
    await qr.waitFor();
    expect(await qr.getAttribute('src')).toMatch(/^data:image\//);
    // The key is shown as text for people who type it by hand.
    const key = (await user.locator('#totp-setup code').textContent())?.trim() ?? '';
    expect(key).toMatch(/^[A-Z2-7]{16,}=*$/);
    totpSecret = key;
    // A wrong code first: refused, and the setup stays open.
    const valid = new Set([codeAt(-30_000), codeAt(0), codeAt(30_000)]);
    await user.getByLabel('Code from the app').fill(valid.has('000000') ? '111111' : '000000');
    await user.getByRole('button', { name: 'Turn on' }).click();
    await user.getByRole('alert').waitFor();
    // The page may show the setup again (with a new key) or the settings page: start again if needed.
    if ((await user.locator('#totp-setup code').count()) === 0) {
      await user.goto('/settings');
      await user.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    }
    totpSecret = (await user.locator('#totp-setup code').textContent())?.trim() ?? '';
    enrolCode = codeAt(0);
    await user.getByLabel('Code from the app').fill(enrolCode);
    await user.getByRole('button', { name: 'Turn on' }).click();
    await user.getByRole('heading', { name: 'Two-factor sign-in is on' }).waitFor();
    const recovery = (await user.locator('#recovery-codes pre').textContent()) ?? '';
    expect(recovery.trim().split('\n').length).toBeGreaterThanOrEqual(5);
    expect(await t.site.totp.status((await t.site.users.findByLogin(person.email))!.id)).toMatchObject({ enabled: true });
  });

  step('signing out ends the session; signing in again asks for a code, refuses a replayed one and takes the next', async () => {
    await Promise.all([user.waitForURL((url) => url.pathname === '/login'), user.getByRole('button', { name: 'Sign out' }).click()]);
    expect(await accountStatus(user)).toBe(401);
    await user.getByLabel('Email').fill(person.email);
    await user.getByLabel('Password').fill(person.password);
    await Promise.all([user.waitForURL((url) => url.pathname === '/login/totp'), user.getByRole('button', { name: 'Sign in' }).click()]);
    expect(await accountStatus(user), 'the password alone is not a session').toBe(401);
    // The code that turned TOTP on was used already: replaying it fails.
    await user.getByLabel('Code').fill(enrolCode);
    await user.getByRole('button', { name: 'Continue' }).click();
    await user.getByText('That code is not valid').waitFor();
    // The next 30-second step's code (the core accepts ±1 step and only codes after the last used one).
    await user.getByLabel('Code').fill(codeAt(30_000));
    await Promise.all([user.waitForURL((url) => url.pathname === '/files'), user.getByRole('button', { name: 'Continue' }).click()]);
    expect(await accountStatus(user)).toBe(200);
  });

  // ------------------------------------------------------------------ the file manager

  /** What was uploaded, by name (the bytes to compare later). */
  const originals = new Map<string, Buffer>();
  const XSS_NAME = '<img src=x onerror=alert(1)>.txt';
  let home = '';

  const row = (name: string) => user.locator('#listing tbody tr', { has: user.getByRole('link', { name, exact: true }) });
  const pick = async (name: string): Promise<void> => user.getByRole('checkbox', { name: `Select ${name}`, exact: true }).check();
  const toolbar = (name: string) => user.getByRole('toolbar', { name: 'File actions' }).getByRole('button', { name, exact: true });
  const dialog = () => user.getByRole('dialog');
  const statusText = async (text: string | RegExp): Promise<void> => user.locator('#status').filter({ hasText: text }).waitFor();

  step('the person uploads 3 files with the picker, with progress shown', async () => {
    const found = await t.site.users.findByLogin(person.email);
    home = await t.site.users.homeDir(found!.id);
    const three: [string, Buffer][] = [
      ['alpha.txt', Buffer.from('alpha: the first file\n'.repeat(200))],
      ['beta.bin', randomBytes(3 * 1024 * 1024 + 17)],
      ['gamma.csv', Buffer.from('a,b,c\n1,2,3\n')],
    ];
    const paths: string[] = [];
    for (const [name, bytes] of three) {
      originals.set(name, bytes);
      const file = join(work, name);
      await writeFile(file, bytes);
      paths.push(file);
    }
    if (pathOf(user) !== '/files') await user.goto('/files');
    await user.getByLabel('Upload files').setInputFiles(paths);
    // Progress: one bar per file and one for all uploads, all full when done.
    await user.locator('#uploads .upload', { hasText: 'All uploads' }).waitFor();
    await statusText('Uploaded 3 file(s).');
    const bars = await user.locator('#uploads progress').evaluateAll((els) => els.map((e) => (e as unknown as { value: number }).value));
    expect(bars.length).toBeGreaterThanOrEqual(4);
    expect(bars.every((v) => v === 1)).toBe(true);
    for (const [name] of three) await row(name).waitFor();
    for (const [name, bytes] of three) expect(sha256(await readFile(join(home, name)))).toBe(sha256(bytes));
  });

  step('the person uploads a folder with the folder picker', async () => {
    const folder = join(work, 'results');
    await mkdir(join(folder, 'sub'), { recursive: true });
    const run1 = randomBytes(40_000);
    const run2 = Buffer.from('second run\n');
    await writeFile(join(folder, 'run1.dat'), run1);
    await writeFile(join(folder, 'sub', 'run2.dat'), run2);
    // Playwright hands a directory to an `<input webkitdirectory>` as the browser's own picker would.
    await user.getByLabel('Upload folder').setInputFiles(folder);
    await statusText('Uploaded 2 file(s).');
    await row('results').waitFor();
    expect(await row('results').getAttribute('data-type')).toBe('directory');
    expect(sha256(await readFile(join(home, 'results', 'run1.dat')))).toBe(sha256(run1));
    expect(sha256(await readFile(join(home, 'results', 'sub', 'run2.dat')))).toBe(sha256(run2));
  });

  step('rename a file', async () => {
    await pick('alpha.txt');
    await toolbar('Rename / move').click();
    await dialog().getByLabel(/New name/).fill('alpha-renamed.txt');
    await dialog().getByRole('button', { name: 'OK' }).click();
    await row('alpha-renamed.txt').waitFor();
    await row('alpha.txt').waitFor({ state: 'detached' });
    expect(sha256(await readFile(join(home, 'alpha-renamed.txt')))).toBe(sha256(originals.get('alpha.txt')!));
  });

  step('move a file into a folder', async () => {
    await pick('alpha-renamed.txt');
    await toolbar('Rename / move').click();
    await dialog().getByLabel(/New name/).fill('/results/alpha-renamed.txt');
    await dialog().getByRole('button', { name: 'OK' }).click();
    await row('alpha-renamed.txt').waitFor({ state: 'detached' });
    // Open the folder: the file is there; then back home by the breadcrumbs.
    await row('results').getByRole('link').click();
    await row('alpha-renamed.txt').waitFor();
    await row('run1.dat').waitFor();
    await row('sub').waitFor();
    expect(new URL(user.url()).searchParams.get('path')).toBe('/results');
    await user.locator('#crumbs').getByRole('link', { name: 'Home' }).click();
    await row('beta.bin').waitFor();
    expect(sha256(await readFile(join(home, 'results', 'alpha-renamed.txt')))).toBe(sha256(originals.get('alpha.txt')!));
  });

  step('delete a file into the trash and restore it', async () => {
    await pick('gamma.csv');
    await toolbar('Delete').click();
    await dialog().getByText('/gamma.csv').waitFor();
    await dialog().getByRole('button', { name: 'Move to trash' }).click();
    await row('gamma.csv').waitFor({ state: 'detached' });
    await expect(readFile(join(home, 'gamma.csv'))).rejects.toThrow();
    await toolbar('Trash').click();
    await dialog().getByRole('checkbox', { name: /\/gamma\.csv/ }).check();
    await dialog().getByRole('button', { name: 'Restore selected' }).click();
    await row('gamma.csv').waitFor();
    expect(sha256(await readFile(join(home, 'gamma.csv')))).toBe(sha256(originals.get('gamma.csv')!));
    // The trash is empty again.
    await toolbar('Trash').click();
    await dialog().getByText('The trash is empty.').waitFor();
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'hidden' });
  });

  step('download a file and compare its bytes', async () => {
    await pick('beta.bin');
    const [download] = await Promise.all([user.waitForEvent('download'), toolbar('Download').click()]);
    expect(download.suggestedFilename()).toBe('beta.bin');
    const saved = join(work, 'downloaded-beta.bin');
    await download.saveAs(saved);
    expect(sha256(await readFile(saved))).toBe(sha256(originals.get('beta.bin')!));
  });

  step('a file named like HTML shows as text and runs nothing', async () => {
    const content = Buffer.from('<script>alert(2)</script><img src=x onerror=alert(3)>\n');
    await user.getByLabel('Upload files').setInputFiles({ name: XSS_NAME, mimeType: 'text/plain', buffer: content });
    await statusText('Uploaded 1 file(s).');
    const link = user.locator('#listing').getByRole('link', { name: XSS_NAME, exact: true });
    await link.waitFor();
    expect(await link.textContent()).toBe(XSS_NAME);
    expect(sha256(await readFile(join(home, XSS_NAME)))).toBe(sha256(content));
    const noInjectedImage = async (page: Page): Promise<void> => {
      expect(await page.locator('img[src="x"]').count()).toBe(0);
    };
    await noInjectedImage(user);
    // Open it (a text file opens in the viewer/editor): the title and the content are text.
    await link.click();
    await dialog().waitFor();
    expect(await user.locator('#dialog-title').textContent()).toBe(XSS_NAME);
    expect(await dialog().getByRole('textbox').inputValue()).toBe(content.toString());
    await noInjectedImage(user);
    await dialog().getByRole('button', { name: 'Cancel' }).click();
    await dialog().waitFor({ state: 'hidden' });
    // The server-rendered listing (a fresh load) escapes the name too.
    await user.reload();
    await user.locator('#listing').getByRole('link', { name: XSS_NAME, exact: true }).waitFor();
    await noInjectedImage(user);
    // The raw content URL is served as plain text: nothing runs there either.
    await user.goto(`/api/v1/files/content?path=${encodeURIComponent(`/${XSS_NAME}`)}`);
    expect(await user.evaluate('document.contentType')).toBe('text/plain');
    await noInjectedImage(user);
    expect(jsDialogs).toEqual([]);
    await user.goto('/files');
    await row('beta.bin').waitFor();
  });

  // ------------------------------------------------------------------ signing out

  step('signing out kills the session cookie', async () => {
    const cookies = await userContext.cookies(base);
    expect(cookies.length).toBeGreaterThan(0);
    const old = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    // The cookie, replayed from outside the browser, works while signed in…
    const outside = await httpRequest.newContext({ baseURL: base, ignoreHTTPSErrors: true });
    try {
      const before = await outside.get('/api/v1/account', { headers: { cookie: old } });
      expect(before.status()).toBe(200);
      await Promise.all([user.waitForURL((url) => url.pathname === '/login'), user.getByRole('button', { name: 'Sign out' }).click()]);
      expect(await accountStatus(user)).toBe(401);
      // …and is dead after signing out.
      const after = await outside.get('/api/v1/account', { headers: { cookie: old } });
      expect(after.status()).toBe(401);
    } finally {
      await outside.dispose();
    }
    await Promise.all([admin.waitForURL((url) => url.pathname === '/login'), admin.getByRole('button', { name: 'Sign out' }).click()]);
    expect(pathOf(admin)).toBe('/login');
    expect(jsDialogs).toEqual([]);
  });
});
