/**
 * The SFTP server's host key: loaded from the site's cert folder, created on first start.
 * @packageDocumentation
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';

/** The file name of the SFTP host key inside the site's cert folder. */
export const SFTP_HOST_KEY_FILE = 'ssh_host_ed25519_key';

/**
 * A new ed25519 key that ssh2 can read back: its generator writes an unreadable OpenSSH key about
 * once in 250 tries (measured: 77 of 20,000), so each key is checked and made again if needed.
 */
function generateUsableKey(): { private: string } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'migrid sftp host key' });
    const parsed = ssh2.utils.parseKey(pair.private);
    if (!(parsed instanceof Error) && parsed.isPrivateKey()) return pair;
  }
  throw new Error('Could not make a usable SFTP host key in 20 tries.');
}

/**
 * Reads the private host key at `file` (OpenSSH format), or creates an ed25519 key there (mode
 * 0600, never overwriting one another process just wrote) when there is none.
 * @throws Error when the file exists but is not a private key ssh2 can use.
 */
export async function loadOrCreateHostKey(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const pair = generateUsableKey();
    await mkdir(dirname(file), { recursive: true, mode: 0o750 });
    try {
      await writeFile(file, pair.private, { mode: 0o600, flag: 'wx' });
      text = pair.private;
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST') throw writeErr;
      text = await readFile(file, 'utf8');
    }
  }
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error || !parsed.isPrivateKey()) {
    throw new Error(`The SFTP host key ${file} is not a usable private key; remove it to have a new one created.`);
  }
  return text;
}
