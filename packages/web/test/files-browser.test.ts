import { existsSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '@migrid/core';
import { WebServer } from '../src/app/web-server.js';
import { SESSION_COOKIE } from '../src/plugins/sessions.js';
import { createTestUser, openTestSite, type TestSite } from '../../../test/support/test-site.js';
import { sessionFor } from './support/sessions.js';

const EVIL = '<img src=x onerror=alert(1)>.txt';

let t: TestSite;
let server: WebServer;
let base: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let user: UserRecord;
let home: string;
let local: string;
const dialogs: string[] = [];

beforeAll(async () => {
  t = await openTestSite();
  server = new WebServer({ site: t.site });
  const addr = await server.listen(0, '127.0.0.1');
  base = `https://127.0.0.1:${addr.port}`;
  user = (await createTestUser(t.site)).user;
  home = await t.site.users.homeDir(user.id);
  const s = await sessionFor(t.site, user.id);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  context = await browser.newContext({ ignoreHTTPSErrors: true, acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  await context.addCookies([{ name: SESSION_COOKIE, value: s.cookie.slice(SESSION_COOKIE.length + 1), url: base, secure: true, httpOnly: true, sameSite: 'Lax' }]);
  page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  local = await mkdtemp(join(tmpdir(), 'mig-browser-'));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await t?.close();
  if (local !== undefined) await rm(local, { recursive: true, force: true });
});

async function row(name: string) {
  return page.locator('#listing tbody tr', { has: page.locator('td.name a', { hasText: name }) });
}

describe('the file manager in a browser', () => {
  it('uploads files and a folder by the pickers, with progress', async () => {
    const files = ['a.txt', 'b.bin', 'c.txt'].map((n) => join(local, n));
    await writeFile(files[0] as string, 'alpha');
    await writeFile(files[1] as string, randomBytes(9 * 1024 * 1024)); // above 8 MiB: the chunked uploader
    await writeFile(files[2] as string, 'gamma');
    await mkdir(join(local, 'folder/sub'), { recursive: true });
    await writeFile(join(local, 'folder/one.txt'), 'one');
    await writeFile(join(local, 'folder/sub/two.txt'), 'two');

    await page.goto(`${base}/files`);
    await expect.poll(() => page.locator('#files').getAttribute('data-path')).toBe('/');
    await page.setInputFiles('#pick-files', files);
    await page.locator('#status', { hasText: 'Uploaded 3 file(s).' }).waitFor();
    expect(await page.locator('#uploads progress').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('#uploads .pct').allTextContents()).toContain('100%');
    await page.setInputFiles('#pick-folder', join(local, 'folder'));
    await page.locator('#status', { hasText: 'Uploaded 2 file(s).' }).waitFor();
    expect(await readFile(join(home, 'a.txt'), 'utf8')).toBe('alpha');
    expect((await readFile(join(home, 'b.bin'))).equals(await readFile(files[1] as string))).toBe(true);
    expect(await readFile(join(home, 'folder/sub/two.txt'), 'utf8')).toBe('two');
    await (await row('folder')).waitFor();
    expect((await readdir(home)).filter((n) => n.startsWith('.mig-upload-'))).toEqual([]);
    // Each progress row gives its file name room beside the bar (the bar does not squeeze it).
    // (Page code as a string: this project type-checks without the DOM library.)
    const widths = (await page.evaluate(
      "(() => { const r = document.querySelector('#uploads .upload'); return { name: r.querySelector('.uname').getBoundingClientRect().width, row: r.getBoundingClientRect().width }; })()",
    )) as { name: number; row: number };
    expect(widths.name).toBeGreaterThan(widths.row * 0.3);
  }, 60_000);

  it('shows the keyboard focus ring on the label of the focused file picker', async () => {
    await page.goto(`${base}/files`);
    await page.locator('#pick-files').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const outlines = await page.evaluate("['pick-files', 'pick-folder'].map((id) => getComputedStyle(document.querySelector('label[for=' + id + ']')).outlineStyle)");
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('pick-files');
    expect(outlines).toEqual(['solid', 'none']);
  }, 30_000);

  it('renames, moves, deletes to the trash and restores', async () => {
    await (await row('a.txt')).locator('.pick').check();
    await page.click('button[data-action=rename]');
    await page.fill('#dialog-body input', 'renamed.txt');
    await page.click('#dialog-ok');
    await (await row('renamed.txt')).waitFor();
    await (await row('renamed.txt')).locator('.pick').check();
    await page.click('button[data-action=rename]');
    await page.fill('#dialog-body input', '/folder/moved.txt');
    await page.click('#dialog-ok');
    await page.locator('#status', { hasText: 'Rename: done.' }).waitFor();
    expect(await readFile(join(home, 'folder/moved.txt'), 'utf8')).toBe('alpha');

    await (await row('c.txt')).locator('.pick').check();
    await page.click('button[data-action=delete]');
    await page.click('#dialog-ok');
    await page.locator('#status', { hasText: 'Delete: done.' }).waitFor();
    // The status line can come before the listing is redrawn: wait for the row to go.
    await (await row('c.txt')).waitFor({ state: 'detached' });
    expect(existsSync(join(home, 'c.txt'))).toBe(false);
    await page.click('button[data-action=trash]');
    await page.locator('.trash-list input').first().check();
    await page.click('#dialog-ok');
    await page.locator('#status', { hasText: 'Restore: done.' }).waitFor();
    await (await row('c.txt')).waitFor();
    expect(await readFile(join(home, 'c.txt'), 'utf8')).toBe('gamma');
  }, 60_000);

  it('downloads a file with the same bytes', async () => {
    await page.locator('#listing .pick').evaluateAll((els) => els.forEach((e) => ((e as { checked: boolean }).checked = false)));
    await (await row('b.bin')).locator('.pick').check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button[data-action=download]')]);
    const saved = join(local, 'downloaded.bin');
    await download.saveAs(saved);
    const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');
    expect(await sha(saved)).toBe(await sha(join(home, 'b.bin')));
  }, 60_000);

  it('shows a hostile file name as text and runs nothing', async () => {
    await writeFile(join(home, EVIL), 'harmless');
    await page.goto(`${base}/files`);
    await (await row(EVIL)).waitFor();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await page.locator('td.name a', { hasText: EVIL }).textContent()).toBe(EVIL);
    // Server-rendered too (before JS): escaped.
    const res = await page.request.get(`${base}/files`);
    expect(await res.text()).not.toContain('<img src=x');
    await page.locator('td.name a', { hasText: EVIL }).click();
    await page.locator('#editor').waitFor();
    expect(await page.locator('#editor').inputValue()).toBe('harmless');
    await page.click('#dialog-cancel');
    expect(dialogs).toEqual([]);
  }, 60_000);

  it('works with the keyboard only: open and edit a text file, rename by keyboard', async () => {
    await page.goto(`${base}/files`);
    await (await row('c.txt')).waitFor();
    // Tab until the link of c.txt has focus (bounded).
    let found = false;
    for (let i = 0; i < 80 && !found; i += 1) {
      await page.keyboard.press('Tab');
      found = (await page.evaluate('document.activeElement && document.activeElement.textContent')) === 'c.txt';
    }
    expect(found).toBe(true);
    await page.keyboard.press('Enter');
    await page.locator('#editor').waitFor();
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('editor');
    await page.keyboard.press('End');
    await page.keyboard.type(' edited');
    // Tab to Save and press it.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('dialog-ok');
    await page.keyboard.press('Enter');
    await page.locator('#status', { hasText: 'Save: done.' }).waitFor();
    expect(await readFile(join(home, 'c.txt'), 'utf8')).toBe('gamma edited');

    // Select c.txt with Space on its checkbox (Shift+Tab back from the link), then Rename.
    await page.locator('td.name a', { hasText: 'c.txt' }).focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Space');
    expect(await (await row('c.txt')).locator('.pick').isChecked()).toBe(true);
    await page.locator('button[data-action=rename]').focus();
    await page.keyboard.press('Enter');
    await page.locator('#dialog-body input').waitFor();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('keyboard.txt');
    await page.keyboard.press('Enter');
    await page.locator('#status', { hasText: 'Rename: done.' }).waitFor();
    expect(await readFile(join(home, 'keyboard.txt'), 'utf8')).toBe('gamma edited');
    expect(dialogs).toEqual([]);
  }, 60_000);

  it('fits a phone-sized screen', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 375, height: 740 });
    await phone.goto(`${base}/files`);
    await phone.locator('#listing tbody tr').first().waitFor();
    const overflow = Number(await phone.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'));
    expect(overflow).toBeLessThanOrEqual(2);
    await phone.close();
  }, 30_000);
});
