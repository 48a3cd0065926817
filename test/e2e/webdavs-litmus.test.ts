/**
 * The WebDAVS server against the `litmus` WebDAV compliance suite (Debian's litmus 0.13 on neon),
 * over TLS, on SQLite and PostgreSQL (dead properties and locks live in the database): every test
 * of the suites basic, copymove, props, locks and http must pass, without warnings, and the server
 * must still answer afterwards.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebdavServer } from '@migrid/fileservices';
import { databaseKinds } from '../support/databases.js';
import { createTestUser, openTestSite, type TestSite } from '../support/test-site.js';
import { dav } from './webdavs-client.js';

const SUITES = ['basic', 'copymove', 'props', 'locks', 'http'] as const;

function runLitmus(url: string, login: string, password: string, caFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // SSL_CERT_FILE lets neon (OpenSSL) trust the site CA.
    const child = spawn('litmus', ['-k', url, login, password], {
      env: { ...process.env, TESTS: SUITES.join(' '), SSL_CERT_FILE: caFile },
      cwd: process.env.TMPDIR ?? '/tmp',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

describe.each(databaseKinds())('litmus against the WebDAVS server on %s', (kind) => {
  it('passes every test of basic, copymove, props, locks and http, and keeps serving', async () => {
    const t: TestSite = await openTestSite({ kind, open: { logger: pino({ level: 'silent' }) } });
    cleanup.push(() => t.close());
    const server = await WebdavServer.fromSite(t.site);
    cleanup.push(() => server.close());
    const { port } = await server.listen(0, '127.0.0.1');
    const { user, password } = await createTestUser(t.site);

    const out = await runLitmus(`https://localhost:${port}/`, user.email, password, t.caCertPath);
    for (const suite of SUITES) {
      const m = new RegExp(`summary for \`${suite}': of (\\d+) tests run: (\\d+) passed, (\\d+) failed`).exec(out);
      expect(m, `litmus ${suite} summary missing:\n${out}`).not.toBeNull();
      const [, run, passed, failed] = m as RegExpExecArray;
      expect(Number(run)).toBeGreaterThan(0);
      expect({ suite, failed: Number(failed), passed: Number(passed) }).toEqual({ suite, failed: 0, passed: Number(run) });
    }
    expect(out).not.toMatch(/FAIL|WARNING/);

    const ca = await readFile(t.caCertPath);
    const after = await dav({ port, ca, login: user.email, password }, 'PROPFIND', '/', { headers: { Depth: '0' } });
    expect(after.status).toBe(207);
  }, 180_000);
});
