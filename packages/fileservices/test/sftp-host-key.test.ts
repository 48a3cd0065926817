/**
 * The SFTP host key made on first start is always one ssh2 can use: ssh2's own generator writes
 * an unreadable key about once in 250 tries, which made a fresh site's SFTP server fail to start.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOrCreateHostKey } from '@migrid/fileservices';

describe('the SFTP host key', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mig-hostkey-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is created usable every time (1,000 fresh keys), mode 0600, and kept on the next start', async () => {
    for (let i = 0; i < 1000; i++) {
      const file = join(dir, String(i), 'ssh_host_ed25519_key');
      const made = await loadOrCreateHostKey(file);
      const parsed = ssh2.utils.parseKey(made);
      expect(parsed instanceof Error ? parsed.message : parsed.isPrivateKey(), `key ${i}`).toBe(true);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(await loadOrCreateHostKey(file)).toBe(made);
    }
  }, 120_000);

  it('refuses a file that is not a private key, naming it', async () => {
    const file = join(dir, 'broken_key');
    await writeFile(file, 'not a key\n');
    await expect(loadOrCreateHostKey(file)).rejects.toThrow(/broken_key is not a usable private key/);
    expect(await readFile(file, 'utf8')).toBe('not a key\n');
  });
});
