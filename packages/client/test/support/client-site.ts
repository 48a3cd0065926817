/**
 * A real site served over HTTPS (the site CA's host certificate) for the client tests, with one
 * user to log in as.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebServer } from '@migrid/web';
import { createTestUser, openTestSite, type TestSite } from '../../../../test/support/test-site.js';

/** The site, its server and a user. */
export interface ClientTestSite {
  readonly testSite: TestSite;
  readonly url: string;
  readonly email: string;
  readonly password: string;
  /** A scratch folder for local files and configs. */
  readonly work: string;
  close(): Promise<void>;
}

/** Opens a site, starts its web server on a free port and makes a user. */
export async function openClientTestSite(): Promise<ClientTestSite> {
  // Request logs of thousands of transfers would drown the test output.
  const testSite = await openTestSite({ config: { logging: { level: 'warn' } } });
  const { user, password } = await createTestUser(testSite.site);
  const server = new WebServer({ site: testSite.site });
  const { port } = await server.listen(0, '127.0.0.1');
  const work = await mkdtemp(join(tmpdir(), 'miguser-work-'));
  return {
    testSite,
    url: `https://127.0.0.1:${port}`,
    email: user.email,
    password,
    work,
    async close() {
      await server.close();
      await testSite.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
