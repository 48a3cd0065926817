/**
 * The site's secret key: 32 random bytes in the state folder (`secret.key`, mode 0600), created on
 * first open. Services derive their own keys from it (web session and CSRF signing, encrypted
 * secrets) so that every process of a site agrees without any of them holding a key in config.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { ConfigError, isMigError } from '../errors.js';

/** Length of the site's secret key in bytes. */
export const SECRET_KEY_BYTES = 32;

/**
 * Reads the key at `file`, creating it (exclusively, mode 0600) when missing. Two processes starting
 * at once agree: the loser of the exclusive create reads the winner's key.
 * @throws ConfigError `MIG_E_CONFIG_INVALID` when the file exists but is not a key of the right size.
 */
export async function loadOrCreateSecretKey(file: string): Promise<Buffer> {
  try {
    await writeFile(file, randomBytes(SECRET_KEY_BYTES), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  try {
    const key = await readFile(file);
    if (key.length !== SECRET_KEY_BYTES) {
      throw new ConfigError(`The site secret key ${file} is ${key.length} bytes, not ${SECRET_KEY_BYTES}: restore it from a backup, or delete it to make a new one (signs everyone out).`);
    }
    return key;
  } catch (err) {
    if (isMigError(err)) throw err;
    throw new ConfigError(`Cannot read the site secret key ${file}: ${(err as Error).message}.`, { cause: err });
  }
}
