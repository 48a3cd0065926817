/**
 * Share links in real headless Chromium over HTTPS: the owner signs in and makes an upload-only
 * link with the file manager's Share dialog; an anonymous browser opens `/share/<id>`, uploads two
 * files through the page (progress shown) and can neither list nor download; the owner's file
 * manager then shows the files, and "My share links" the link with one use.
 *
 * The steps run in order and share the two browser contexts; a failing step leaves screenshots in
 * a temp folder (its path is in the error). Helpers for sign-in and the dialog are in
 * `support/share-link-steps.ts` (the VGrid browser steps reuse them).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, BrowserContext, Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebServer } from '@migrid/web';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';
import { FailureShots, haveChromium, launchChromium } from './browser-support.js';
import { anonymousContext, shareFromFileManager, signIn, type MadeLink } from './support/share-link-steps.js';

/** Longest wait for one thing to appear in a page (generous: 2 cores, several test files at once). */
const WAIT = 15_000;

describe.skipIf(!haveChromium)('share links in headless Chromium', () => {
  let t: TestSite;
  let server: WebServer;
  let base: string;
  let browser: Browser;
  let ownerContext: BrowserContext;
  let guestContext: BrowserContext | undefined;
  let owner: Page;
  let guest: Page | undefined;
  let home: string;
  let work: string;
  let credentials: { email: string; password: string };
  let made: MadeLink;
  const big = randomBytes(6 * 1024 * 1024);
  /** Native JS dialogs any page opened: there should be none. */
  const jsDialogs: string[] = [];
  const shots = new FailureShots();

  const step = (name: string, fn: () => Promise<void>, timeout = 60_000): void => {
    it(name, async () => {
      try {
        await fn();
      } catch (err) {
        const files = await shots.take(name, { owner, guest });
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

  beforeAll(async () => {
    t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
    const made = await createTestUser(t.site);
    credentials = { email: made.user.email, password: made.password };
    home = await t.site.users.homeDir(made.user.id);
    await mkdir(join(home, 'inbox'));
    await writeFile(join(home, 'inbox/already-there.txt'), 'private to the owner');
    server = new WebServer({ site: t.site });
    const { port } = await server.listen(0, '127.0.0.1');
    base = `https://127.0.0.1:${port}`;
    work = await mkdtemp(join(tmpdir(), 'mig-e2e-share-'));
    browser = await launchChromium();
    ownerContext = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: base });
    ownerContext.setDefaultTimeout(WAIT);
    owner = await ownerContext.newPage();
    watchDialogs(owner);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  step('the owner signs in and makes an upload-only link with the Share dialog', async () => {
    await signIn(owner, credentials.email, credentials.password);
    made = await shareFromFileManager(owner, '/', 'inbox', { mode: 'wo', maxUses: 3 });
    expect(made.id).toMatch(/^[q-xQ-X][A-Za-z0-9]{15}$/);
    expect(made.url.endsWith(`/share/${made.id}`)).toBe(true);
    const link = await t.site.shareLinks.get(made.id);
    expect(link).toMatchObject({ mode: 'wo', kind: 'folder', viewPath: '/inbox', maxUses: 3, uses: 0 });
  });

  step('an anonymous browser uploads two files through the link, with progress', async () => {
    guestContext = await anonymousContext(browser, base);
    guestContext.setDefaultTimeout(WAIT);
    guest = await guestContext.newPage();
    watchDialogs(guest);
    await guest.goto(`/share/${made.id}`);
    await guest.getByText('This is an upload-only share').waitFor();
    expect(await guest.content()).not.toContain('already-there');
    await writeFile(join(work, 'big-upload.bin'), big);
    await writeFile(join(work, 'note.txt'), 'hello from a guest');
    await guest.setInputFiles('#share-pick', [join(work, 'big-upload.bin'), join(work, 'note.txt')]);
    await guest.locator('#share-status', { hasText: 'Uploaded 2 file(s).' }).waitFor();
    expect(await guest.locator('#share-uploads progress').count()).toBe(2);
    expect(await guest.locator('#share-uploads .pct').allTextContents()).toEqual(['100%', '100%']);
    expect(await guest.locator('#share-uploaded li').allTextContents()).toEqual(['uploaded: big-upload.bin', 'uploaded: note.txt']);
    // The list is the session's: a reload still shows it (and only it).
    await guest.reload();
    expect(await guest.locator('#share-uploaded li').allTextContents()).toEqual(['uploaded: big-upload.bin', 'uploaded: note.txt']);
    expect((await readFile(join(home, 'inbox/big-upload.bin'))).equals(big)).toBe(true);
    expect(await readFile(join(home, 'inbox/note.txt'), 'utf8')).toBe('hello from a guest');
  });

  step('the anonymous browser can neither list nor download', async () => {
    const g = guest as Page;
    for (const path of ['note.txt', 'already-there.txt', '?zip=1']) {
      const res = await g.request.get(`/share/${made.id}/${path}`);
      expect(res.status(), path).toBe(403);
      const text = await res.text();
      expect(text).not.toContain('hello from a guest');
      expect(text).not.toContain('private to the owner');
    }
    expect(await g.locator('#share-listing').count()).toBe(0);
    expect((await t.site.shareLinks.get(made.id)).uses).toBe(1);
  });

  step("the owner's file manager shows the uploads; My share links shows the link", async () => {
    await owner.goto('/files?path=%2Finbox');
    for (const name of ['big-upload.bin', 'note.txt', 'already-there.txt']) {
      await owner.locator('#listing tbody tr td.name a', { hasText: name }).waitFor();
    }
    await owner.getByRole('link', { name: 'My share links' }).click();
    await owner.getByRole('heading', { name: 'My share links' }).waitFor();
    const row = owner.locator(`tr[data-share-id="${made.id}"]`);
    expect(await row.locator('.state').textContent()).toBe('active');
    expect((await row.locator('.uses').textContent())?.trim()).toBe('1 of 3');
    expect(jsDialogs).toEqual([]);
  });
});
