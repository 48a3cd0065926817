/**
 * The job pages in a real browser (Chromium), with the real grid: the engine in-process and a
 * resource agent with the local executor pulling over HTTPS. Submit on /jobs/new, watch the state
 * change on /jobs without a reload, read stdout on the job page, follow a long job's live output
 * and cancel it from its page; hostile names render as text; parse errors name line and keyword.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMrsl, type UserRecord } from '@migrid/core';
import type { ResourceAgent } from '@migrid/scheduler';
import { SESSION_COOKIE } from '../src/plugins/sessions.js';
import { openGridTestSite, startLocalAgent, type GridTestSite } from '../../../test/support/grid-site.js';
import { createTestUser } from '../../../test/support/test-site.js';
import { sessionFor } from './support/sessions.js';

const EVIL = '<img src=x onerror=alert(1)>';
const WAIT = 60_000;

let g: GridTestSite;
let agent: ResourceAgent;
let work: string;
let browser: Browser;
let page: Page;
let user: UserRecord;
const dialogs: string[] = [];

beforeAll(async () => {
  g = await openGridTestSite();
  user = (await createTestUser(g.t.site)).user;
  const added = await g.t.site.resources.add({ name: 'local1', ownerId: user.id, units: 1 });
  work = await mkdtemp(join(tmpdir(), 'mig-jobs-pages-'));
  agent = await startLocalAgent(g, added.token, work);
  const s = await sessionFor(g.t.site, user.id);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1100, height: 900 } });
  await context.addCookies([{ name: SESSION_COOKIE, value: s.cookie.slice(SESSION_COOKIE.length + 1), url: g.base, secure: true, httpOnly: true, sameSite: 'Lax' }]);
  page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
}, WAIT);

afterAll(async () => {
  await browser?.close();
  await agent?.stop({ cancelRunning: true });
  await g?.close();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

/** Submits mRSL text on /jobs/new; returns the new job's id (from the job page it lands on). */
async function submitText(mrsl: string): Promise<string> {
  await page.goto(`${g.base}/jobs/new`);
  await page.fill('#f-mrsl', mrsl);
  await Promise.all([page.waitForURL(/\/jobs\/(?!new$)[^/]+$/), page.click('#as-text button[value=submit]')]);
  const id = await page.locator('#job').getAttribute('data-job');
  expect(id).toMatch(/^\d+_/);
  return id as string;
}

describe('the job pages in a browser, with a real engine and agent', () => {
  it('submits mRSL text; /jobs shows the state change to FINISHED without a reload; the job page shows stdout', async () => {
    const id = await submitText('::EXECUTE::\nsleep 2\necho "hello from the grid"\n\n::JOBNAME::\nhello-grid\n\n::CPUTIME::\n60\n');
    await page.goto(`${g.base}/jobs`);
    const row = page.locator(`#jobs-table tr[data-job="${id}"]`);
    await row.waitFor();
    // A mark on the page's window: it survives only if the page is not reloaded.
    await page.evaluate('window.__notReloaded = true');
    await row.locator('.state', { hasText: 'FINISHED' }).waitFor({ timeout: 45_000 });
    expect(await page.evaluate('window.__notReloaded === true')).toBe(true);
    expect(await row.locator('td.name a').textContent()).toBe('hello-grid');

    await page.goto(`${g.base}/jobs/${id}`);
    expect(await page.locator('h1').textContent()).toBe('hello-grid');
    await page.locator('#tail-stdout', { hasText: 'hello from the grid' }).waitFor();
    expect(await page.locator('#job-state').textContent()).toBe('FINISHED');
    // A final job offers no cancel/freeze/thaw, only "Submit again".
    expect(await page.locator('#job-actions form:visible').evaluateAll((forms) => forms.map((f) => f.getAttribute('data-action')))).toEqual(['resubmit']);
    expect(await page.locator('#output-files a', { hasText: `${id}.stdout` }).count()).toBe(1);
    expect(await page.locator('#history td .state').allTextContents()).toEqual(expect.arrayContaining(['PARSE', 'QUEUED', 'EXECUTING', 'FINISHED']));
    expect(dialogs).toEqual([]);
  }, WAIT);

  it('shows a long job\'s output live while it executes, and cancels it from its page', async () => {
    const id = await submitText('::EXECUTE::\nfor i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do echo "line-$i"; echo "err-$i" >&2; sleep 1; done\n\n::CPUTIME::\n120\n');
    await page.locator('#job-state', { hasText: 'EXECUTING' }).waitFor({ timeout: 30_000 });
    await page.locator('#tail-stdout', { hasText: 'line-2' }).waitFor({ timeout: 30_000 });
    await page.locator('#tail-stderr', { hasText: 'err-2' }).waitFor({ timeout: 30_000 });
    // Still executing when the output was seen: it was live, not the final upload.
    expect((await g.t.site.jobs.get(id)).state).toBe('EXECUTING');
    expect(await page.locator('#job-actions form[data-action=freeze]').isHidden()).toBe(true);
    await Promise.all([page.waitForURL(`**/jobs/${id}`), page.click('#job-actions form[data-action=cancel] button')]);
    expect(await page.locator('#job-state').textContent()).toBe('CANCELED');
    await page.locator('.notice.ok', { hasText: 'cancelled' }).waitFor();
    expect((await g.t.site.jobs.get(id)).state).toBe('CANCELED');
  }, WAIT);

  it('renders a hostile job name as text, and refuses it at submission without echoing it as markup', async () => {
    // The job language refuses markup in JOBNAME; the form keeps what was typed, as text.
    await page.goto(`${g.base}/jobs/new`);
    await page.fill('#kw-JOBNAME', EVIL);
    await page.fill('#kw-EXECUTE', 'true');
    await page.click('#as-fields button[value=submit]');
    await page.locator('#kw-JOBNAME-error').waitFor();
    expect(await page.inputValue('#kw-JOBNAME')).toBe(EVIL);
    expect(await page.locator('main img').count()).toBe(0);
    // A record that holds such a name anyway (written straight into the database) shows it as text.
    // (RESOURCE matches no unit: the job stays queued and does not hold the test's one unit.)
    const job = await g.t.site.jobs.submit({ ownerId: user.id, spec: parseMrsl('::EXECUTE::\ntrue\n\n::RESOURCE::\nnowhere\n') });
    await g.t.site.db.updateTable('jobs').set({ name: EVIL }).where('id', '=', job.id).execute();
    await page.goto(`${g.base}/jobs`);
    expect(await page.locator(`#jobs-table tr[data-job="${job.id}"] td.name a`).textContent()).toBe(EVIL);
    // Searching by a part of the name finds it, and only jobs whose names match.
    await page.goto(`${g.base}/jobs?q=${encodeURIComponent('ONERROR=alert')}`);
    expect(await page.locator('#jobs-table tr[data-job]').count()).toBe(1);
    expect(await page.locator('#jobs-table tr[data-job]').first().getAttribute('data-job')).toBe(job.id);
    await page.goto(`${g.base}/jobs/${job.id}`);
    expect(await page.locator('h1').textContent()).toBe(EVIL);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.title()).toContain(EVIL);
    expect(dialogs).toEqual([]);
    await g.t.site.jobs.cancel(job.id, { kind: 'user', userId: user.id });
  }, WAIT);

  it('shows the parse error with its line and keyword next to the text, keeping what was typed', async () => {
    await page.goto(`${g.base}/jobs/new`);
    const typed = '::EXECUTE::\necho hi\n\n::CPUTIME::\nsoon\n';
    await page.fill('#f-mrsl', typed);
    await page.click('#as-text button[value=submit]');
    const error = page.locator('#error-text');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/line 5, keyword CPUTIME/);
    expect(await page.inputValue('#f-mrsl')).toBe(typed);
    expect(await page.getAttribute('#f-mrsl', 'aria-invalid')).toBe('true');
  }, WAIT);

  it('submits through the keyword form, with errors next to the field, and checks feasibility', async () => {
    await page.goto(`${g.base}/jobs/new`);
    await page.fill('#kw-EXECUTE', 'echo form');
    await page.fill('#kw-MEMORY', '999999');
    await page.click('#as-fields button[value=check]');
    await page.locator('#feasibility [data-verdict=none]').waitFor();
    expect(await page.locator('#feasibility ul.reasons li').allTextContents()).toEqual(['MEMORY: the job needs 999999, the unit offers 1024']);
    expect(await page.inputValue('#kw-EXECUTE')).toBe('echo form');
    await page.fill('#kw-MEMORY', 'lots');
    await page.click('#as-fields button[value=submit]');
    await page.locator('#kw-MEMORY-error').waitFor();
    expect(await page.locator('#kw-MEMORY-error').textContent()).toMatch(/whole number|number/i);
    await page.fill('#kw-MEMORY', '64');
    await Promise.all([page.waitForURL(/\/jobs\/(?!new$)[^/]+$/), page.click('#as-fields button[value=submit]')]);
    await page.locator('#job-state', { hasText: 'FINISHED' }).waitFor({ timeout: 45_000 });
    await page.locator('#tail-stdout', { hasText: 'form' }).waitFor();
  }, WAIT);
});
