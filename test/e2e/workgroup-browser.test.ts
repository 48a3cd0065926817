/**
 * Workgroups (VGrids) in real headless Chromium over HTTPS, with a real SFTP client: the owner
 * creates a VGrid on `/vgrids`; a second user asks to join on the same page; the owner accepts on
 * the VGrid's page; the member uploads a file into `/NAME/` with OpenSSH `sftp`; the owner sees it in
 * the file manager. Then the owner makes a write-only link into the share with the Share dialog and
 * an anonymous browser uploads through it and can neither list nor download.
 *
 * The steps run in order; a failing step leaves screenshots in a temp folder (its path is in the
 * error).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SftpServer } from '@migrid/fileservices';
import { WebServer } from '@migrid/web';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';
import { FailureShots, haveChromium, launchChromium } from './browser-support.js';
import { sftpActions } from './support/matrix-clients.js';
import { anonymousContext, shareFromFileManager, signIn, type MadeLink } from './support/share-link-steps.js';

const WAIT = 15_000;

describe.skipIf(!haveChromium)('workgroups in headless Chromium, with SFTP', () => {
  let t: TestSite;
  let server: WebServer;
  let sftp: SftpServer;
  let sftpPort: number;
  let base: string;
  let browser: Browser;
  let contexts: BrowserContext[] = [];
  let owner: Page;
  let member: Page;
  let guest: Page | undefined;
  let work: string;
  const people: Record<'owner' | 'member', { id: string; email: string; password: string }> = {
    owner: { id: '', email: '', password: '' },
    member: { id: '', email: '', password: '' },
  };
  let made: MadeLink;
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
    for (const who of ['owner', 'member'] as const) {
      const { user, password } = await createTestUser(t.site, { fullName: `Workgroup ${who}` });
      people[who] = { id: user.id, email: user.email, password };
    }
    server = new WebServer({ site: t.site });
    base = `https://127.0.0.1:${(await server.listen(0, '127.0.0.1')).port}`;
    sftp = await SftpServer.fromSite(t.site);
    sftpPort = (await sftp.listen(0, '127.0.0.1')).port;
    work = await mkdtemp(join(tmpdir(), 'mig-e2e-workgroup-'));
    browser = await launchChromium();
    owner = await newPage();
    member = await newPage();
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    contexts = [];
    await browser?.close();
    await sftp?.close();
    await server?.close();
    await t?.close();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  step('the owner creates a VGrid on /vgrids', async () => {
    await signIn(owner, people.owner.email, people.owner.password);
    await owner.getByRole('link', { name: 'VGrids' }).click();
    await owner.getByRole('heading', { name: 'VGrids', exact: true }).waitFor();
    const form = owner.locator('#vgrid-create');
    await form.getByLabel(/^Name/).fill('Climate');
    await form.getByLabel('Description').fill('Ice cores');
    await Promise.all([owner.waitForURL((u) => u.pathname === '/vgrids/Climate'), form.getByRole('button', { name: 'Create' }).click()]);
    await owner.getByText('You are an owner.').waitFor();
    expect(await t.site.vgrids.roleOf(people.owner.id, 'Climate')).toBe('owner');
  });

  step('a second user asks to join; the owner accepts on the VGrid page', async () => {
    await signIn(member, people.member.email, people.member.password);
    await member.goto('/vgrids');
    const row = member.locator('tr[data-vgrid="Climate"]');
    await row.getByLabel('Message to the owners of Climate').fill('I work on the cores');
    await Promise.all([member.waitForURL((u) => u.search.includes('done=requested')), row.getByRole('button', { name: 'Ask to join' }).click()]);
    await member.locator('tr[data-vgrid="Climate"]', { hasText: 'request pending' }).waitFor();

    await owner.goto('/vgrids/Climate');
    const request = owner.locator('#vgrid-requests li', { hasText: people.member.email });
    await request.getByText('I work on the cores', { exact: false }).waitFor();
    await Promise.all([owner.waitForURL((u) => u.search.includes('done=accepted')), request.getByRole('button', { name: 'Accept' }).click()]);
    await owner.locator('#vgrid-members li', { hasText: people.member.email }).waitFor();
    expect(await t.site.vgrids.roleOf(people.member.id, 'Climate')).toBe('member');
  });

  step('the member uploads into /Climate/ over SFTP; the owner sees the file in the file manager', async () => {
    const upload = join(work, 'core-17.csv');
    await writeFile(upload, 'depth,d18O\n10,-35.2\n');
    const [listed, put, listedAfter] = await sftpActions(
      { port: sftpPort, caFile: '', login: people.member.email, password: people.member.password, localDir: work, upload },
      [{ kind: 'list', path: '/' }, { kind: 'put', path: '/Climate/core-17.csv', overwrite: false }, { kind: 'list', path: '/Climate' }],
    );
    expect(listed?.names).toContain('Climate');
    expect(put?.reported).toBe('ok');
    expect(listedAfter?.names).toContain('core-17.csv');
    expect(await readFile(join(t.site.paths.vgridFilesHome, 'Climate', 'core-17.csv'), 'utf8')).toBe('depth,d18O\n10,-35.2\n');

    await owner.goto('/files?path=%2FClimate');
    await owner.locator('#listing tbody tr td.name a', { hasText: 'core-17.csv' }).waitFor();
  });

  step('the owner makes a write-only link into the share; an anonymous browser uploads and can neither list nor download', async () => {
    made = await shareFromFileManager(owner, '/', 'Climate', { mode: 'wo' });
    expect(made.id).toMatch(/^[q-xQ-X][A-Za-z0-9]{15}$/);
    const guestContext = await anonymousContext(browser, base);
    guestContext.setDefaultTimeout(WAIT);
    contexts.push(guestContext);
    guest = await guestContext.newPage();
    await guest.goto(`/share/${made.id}`);
    await guest.getByText('This is an upload-only share').waitFor();
    expect(await guest.content()).not.toContain('core-17.csv');
    const drop = join(work, 'field-notes.txt');
    await writeFile(drop, 'notes from the field');
    await guest.setInputFiles('#share-pick', [drop]);
    await guest.locator('#share-status', { hasText: 'Uploaded 1 file(s).' }).waitFor();
    expect(await readFile(join(t.site.paths.vgridFilesHome, 'Climate', 'field-notes.txt'), 'utf8')).toBe('notes from the field');
    for (const path of ['core-17.csv', 'field-notes.txt', '?zip=1']) {
      const res = await guest.request.get(`/share/${made.id}/${path}`);
      expect(res.status(), path).toBe(403);
      expect(await res.text()).not.toContain('-35.2');
    }
    expect(await guest.locator('#share-listing').count()).toBe(0);
    // The member sees the guest's upload in the share too.
    const memberView = await t.site.files.viewFor({ kind: 'user', userId: people.member.id });
    expect((await memberView.list('/Climate')).map((e) => e.name).sort()).toEqual(['core-17.csv', 'field-notes.txt']);
  });
});
