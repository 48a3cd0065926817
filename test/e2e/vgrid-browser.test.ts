/**
 * VGrids ("workgroups") end to end in real headless Chromium over HTTPS, with a real SFTP server
 * on the same site and OpenSSH `sftp` (through `sshpass`) as the member's client:
 * 1. the owner signs in and creates a VGrid on `/vgrids`;
 * 2. a second user asks to join it (with a message) from the list;
 * 3. the owner accepts the request on the VGrid's page, which then lists the member;
 * 4. the member uploads a file into the shared folder `/<name>/` over SFTP;
 * 5. the owner sees that file in the file manager at `/files?path=/<name>`;
 * 6. the owner puts an `index.html` into the public web folder over SFTP and an anonymous browser
 *    sees it at `/vgrid/<name>/`.
 * The steps run in order and share the browser contexts; a failing step leaves screenshots in a
 * temp folder (its path is in the error).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SftpServer } from '@migrid/fileservices';
import { WebServer } from '@migrid/web';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';
import { FailureShots, haveChromium, launchChromium } from './browser-support.js';
import { runSftp } from './sftp-client.js';
import { anonymousContext, signIn } from './support/share-link-steps.js';

/** Longest wait for one thing to appear in a page (generous: 2 cores, several test files at once). */
const WAIT = 15_000;
const NAME = 'Physics Lab';
const UPLOADED = 'from-sftp.txt';

describe.skipIf(!haveChromium)('VGrids in headless Chromium with an SFTP member', () => {
  let t: TestSite;
  let web: WebServer;
  let sftp: SftpServer;
  let sftpPort: number;
  let base: string;
  let browser: Browser;
  let contexts: BrowserContext[] = [];
  let owner: Page;
  let member: Page;
  let guest: Page | undefined;
  let work: string;
  let ownerLogin: { email: string; password: string };
  let memberLogin: { email: string; password: string };
  const shots = new FailureShots();

  const step = (name: string, fn: () => Promise<void>, timeout = 60_000): void => {
    it(name, async () => {
      try {
        await fn();
      } catch (err) {
        const files = await shots.take(name, { owner, member, guest });
        if (err instanceof Error && files.length > 0) err.message += `\n(screenshots: ${files.join(', ')})`;
        throw err;
      }
    }, timeout);
  };

  const newPage = async (): Promise<Page> => {
    const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: base });
    context.setDefaultTimeout(WAIT);
    contexts.push(context);
    return context.newPage();
  };

  beforeAll(async () => {
    t = await openTestSite({ open: { logger: pino({ level: 'silent' }) } });
    const a = await createTestUser(t.site, { fullName: 'Olga Owner' });
    const b = await createTestUser(t.site, { fullName: 'Mads Member' });
    ownerLogin = { email: a.user.email, password: a.password };
    memberLogin = { email: b.user.email, password: b.password };
    web = new WebServer({ site: t.site });
    sftp = await SftpServer.fromSite(t.site);
    base = `https://127.0.0.1:${(await web.listen(0, '127.0.0.1')).port}`;
    sftpPort = (await sftp.listen(0, '127.0.0.1')).port;
    work = await mkdtemp(join(tmpdir(), 'mig-e2e-vgrid-'));
    browser = await launchChromium();
    owner = await newPage();
    member = await newPage();
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    contexts = [];
    await browser?.close();
    await sftp?.close();
    await web?.close();
    await t?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  step('the owner creates a VGrid on /vgrids', async () => {
    await signIn(owner, ownerLogin.email, ownerLogin.password);
    await owner.locator('nav a[href="/vgrids"], header a[href="/vgrids"]').first().click();
    await owner.waitForURL((url) => url.pathname === '/vgrids');
    const form = owner.locator('#vgrid-create');
    await form.locator('input[name="name"]').fill(NAME);
    await form.locator('input[name="description"]').fill('Optics <b>and</b> lasers');
    await Promise.all([owner.waitForURL((url) => url.pathname === `/vgrids/${encodeURIComponent(NAME)}`), form.getByRole('button', { name: 'Create' }).click()]);
    await expect(owner.locator('h1').textContent()).resolves.toContain(NAME);
    // The description is shown as text, not markup.
    await expect(owner.locator('#vgrid-description').textContent()).resolves.toBe('Optics <b>and</b> lasers');
    expect(await t.site.vgrids.roleOf((await t.site.users.find(ownerLogin.email))?.id ?? '', NAME)).toBe('owner');
  });

  step('a second user asks to join from the list', async () => {
    await signIn(member, memberLogin.email, memberLogin.password);
    await member.goto('/vgrids');
    const row = member.locator(`#vgrids-list tr[data-vgrid="${NAME}"]`);
    await row.locator('input[name="message"]').fill('I run the laser lab');
    await Promise.all([member.waitForURL((url) => url.pathname === '/vgrids'), row.getByRole('button', { name: 'Ask to join' }).click()]);
    await expect(member.locator(`#vgrids-list tr[data-vgrid="${NAME}"]`).textContent()).resolves.toContain('request pending');
  });

  step('the owner accepts the request on the VGrid page', async () => {
    await owner.goto(`/vgrids/${encodeURIComponent(NAME)}`);
    const request = owner.locator('#vgrid-requests li', { hasText: memberLogin.email });
    await expect(request.textContent()).resolves.toContain('I run the laser lab');
    await Promise.all([owner.waitForURL((url) => url.searchParams.get('done') === 'accepted'), request.getByRole('button', { name: 'Accept' }).click()]);
    await expect(owner.locator('#vgrid-members').textContent()).resolves.toContain(memberLogin.email);
    await owner.locator('#vgrid-no-requests').waitFor();
  });

  step('the member uploads a file into the shared folder over SFTP', async () => {
    await writeFile(join(work, 'local.txt'), 'measured by the member\n');
    const run = await runSftp(sftpPort, { login: memberLogin.email, password: memberLogin.password }, [`put local.txt "/${NAME}/${UPLOADED}"`, `ls -1 "/${NAME}"`], work);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(UPLOADED);
  });

  step('the owner sees the file in the file manager', async () => {
    await owner.goto(`/vgrids/${encodeURIComponent(NAME)}`);
    await Promise.all([owner.waitForURL((url) => url.pathname === '/files'), owner.getByRole('link', { name: 'Open the shared folder' }).click()]);
    expect(new URL(owner.url()).searchParams.get('path')).toBe(`/${NAME}`);
    await owner.locator('#listing td.name a', { hasText: UPLOADED }).waitFor();
  });

  step('the owner publishes a page that anyone can open at /vgrid/<name>/', async () => {
    await writeFile(join(work, 'index.html'), '<!doctype html><title>Lab</title><h1 id="hello">Welcome to the lab</h1>');
    const run = await runSftp(sftpPort, { login: ownerLogin.email, password: ownerLogin.password }, [`put index.html "/public_base/${NAME}/index.html"`], work);
    expect(run.code, run.stderr).toBe(0);
    const context = await anonymousContext(browser, base);
    contexts.push(context);
    guest = await context.newPage();
    const answer = await guest.goto(`/vgrid/${encodeURIComponent(NAME)}/`);
    expect(answer?.status()).toBe(200);
    await expect(guest.locator('#hello').textContent()).resolves.toBe('Welcome to the lab');
    // The members-only folder is not for anonymous visitors: they are sent to sign in.
    await guest.goto(`/vgrid-private/${encodeURIComponent(NAME)}/`);
    expect(new URL(guest.url()).pathname).toBe('/login');
  });
});
