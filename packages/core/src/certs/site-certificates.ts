/**
 * The site's certificate folder: its own CA (`ca.pem`, `ca.key`) and the host certificate of its
 * servers (`host.pem`, `host.key`), created on first start and kept afterwards.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { CertificateError, InvalidInputError } from '../errors.js';
import { parseInput } from '../validation/parse-input.js';
import { createCertificateAuthority } from './certificate-authority.js';
import type { CertificateAndKey } from './certificate-builder.js';
import { issueHostCertificate } from './host-certificate.js';
import { keyMatchesCertificate, readCertificate, readPrivateKey } from './pem-input.js';

/** Options of {@link ensureSiteCertificates}. */
export interface SiteCertificateOptions {
  /** The site's host name; the host certificate is valid for it, `localhost`, 127.0.0.1 and ::1. */
  readonly fqdn: string;
  /** Validity of a new CA, in days (default 3650). */
  readonly caValidDays?: number;
  /** Validity of a new host certificate, in days (default 825). */
  readonly hostValidDays?: number;
}

/** Where the site certificates are, and which were made just now. */
export interface SiteCertificates {
  /** The CA certificate (PEM): give it to clients that should trust the site. */
  readonly caCertFile: string;
  /** The CA private key (PEM, mode 0600). */
  readonly caKeyFile: string;
  /** The host certificate (PEM) for the web, FTPS and WebDAVS servers. */
  readonly hostCertFile: string;
  /** The host private key (PEM, mode 0600). */
  readonly hostKeyFile: string;
  /** Whether the CA was created by this call. */
  readonly createdCa: boolean;
  /** Whether the host certificate was created by this call. */
  readonly createdHost: boolean;
}

const optionsSchema = z.strictObject({
  fqdn: z.string().min(1).max(253).regex(/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/, { message: 'must be a host name such as mig.example.org' }),
  caValidDays: z.int().min(1).max(36_500).default(3650),
  hostValidDays: z.int().min(1).max(36_500).default(825),
});

/** How long another process may hold the folder lock before we consider it dead. */
const STALE_LOCK_MS = 120_000;
const LOCK_WAIT_MS = 60_000;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new CertificateError(`Cannot examine ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}); check the folder's permissions`, { cause: err });
  }
}

/**
 * Writes a file under a temporary name and renames it into place, so a reader never sees half a
 * key and a crash never leaves one.
 */
async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(temp, mode); // the umask may have narrowed the mode of a public file
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Serialises certificate creation between processes (several daemons may start at once): a lock
 * folder made with mkdir, which is atomic. A lock older than {@link STALE_LOCK_MS} is taken over.
 */
async function withFolderLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.certs.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > STALE_LOCK_MS) {
        await rmdir(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        throw new CertificateError(`Another process has been creating certificates in ${dir} for too long; if none is running, remove ${lock}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await work();
  } finally {
    await rmdir(lock).catch(() => undefined);
  }
}

/** Same-process callers share one run per folder (the folder lock would make them wait anyway). */
const running = new Map<string, Promise<SiteCertificates>>();

async function readPair(certFile: string, keyFile: string, what: string): Promise<CertificateAndKey> {
  const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  const cert = readCertificate(certPem, `${what} certificate ${certFile}`);
  const key = readPrivateKey(keyPem, `${what} key ${keyFile}`);
  if (!keyMatchesCertificate(key, cert)) {
    throw new CertificateError(`${keyFile} is not the key of ${certFile}; restore the matching pair, or move both away to have new ones created`, { code: 'MIG_E_CERTIFICATE_INVALID' });
  }
  return { certPem, keyPem };
}

function halfPairError(present: string, missing: string): CertificateError {
  return new CertificateError(`${present} exists but ${missing} does not; restore ${missing}, or move ${present} away to have a new pair created`, { code: 'MIG_E_CERTIFICATE_INVALID' });
}

async function ensure(certDir: string, opts: z.output<typeof optionsSchema>): Promise<SiteCertificates> {
  await mkdir(certDir, { recursive: true, mode: 0o700 });
  const files = {
    caCertFile: join(certDir, 'ca.pem'),
    caKeyFile: join(certDir, 'ca.key'),
    hostCertFile: join(certDir, 'host.pem'),
    hostKeyFile: join(certDir, 'host.key'),
  };
  return withFolderLock(certDir, async () => {
    const [caCert, caKey, hostCert, hostKey] = await Promise.all(
      [files.caCertFile, files.caKeyFile, files.hostCertFile, files.hostKeyFile].map(exists),
    );
    let ca: CertificateAndKey;
    let createdCa = false;
    if (caCert === true && caKey === true) {
      ca = await readPair(files.caCertFile, files.caKeyFile, 'CA');
    } else if (caCert === true || caKey === true) {
      throw caCert === true ? halfPairError(files.caCertFile, files.caKeyFile) : halfPairError(files.caKeyFile, files.caCertFile);
    } else {
      const commonName = `MiG site CA ${opts.fqdn}`.slice(0, 64);
      ca = await createCertificateAuthority({ commonName, validDays: opts.caValidDays });
      await writeFileAtomic(files.caKeyFile, ca.keyPem, 0o600);
      await writeFileAtomic(files.caCertFile, ca.certPem, 0o644);
      createdCa = true;
    }
    let createdHost = false;
    if (hostCert === true && hostKey === true) {
      await readPair(files.hostCertFile, files.hostKeyFile, 'host');
    } else if (hostCert === true || hostKey === true) {
      throw hostCert === true ? halfPairError(files.hostCertFile, files.hostKeyFile) : halfPairError(files.hostKeyFile, files.hostCertFile);
    } else {
      const hostnames = [...new Set([opts.fqdn.toLowerCase(), 'localhost'])];
      const host = await issueHostCertificate(ca, { hostnames, ipAddresses: ['127.0.0.1', '::1'], validDays: opts.hostValidDays });
      await writeFileAtomic(files.hostKeyFile, host.keyPem, 0o600);
      await writeFileAtomic(files.hostCertFile, host.certPem, 0o644);
      createdHost = true;
    }
    return { ...files, createdCa, createdHost };
  });
}

/**
 * Makes sure `certDir` holds the site CA (`ca.pem`, `ca.key`) and a host certificate signed by it
 * (`host.pem`, `host.key`) for `fqdn`, `localhost`, 127.0.0.1 and ::1. Missing pairs are created
 * (keys with mode 0600, written atomically); existing ones are checked (they parse and the key
 * fits) and kept. Safe to call from several processes at once.
 *
 * @throws InvalidInputError for a bad folder path or host name.
 * @throws CertificateError `MIG_E_CERTIFICATE_INVALID` when an existing pair is broken or half
 *   there, `MIG_E_CERTIFICATE` when files cannot be written.
 *
 * @example
 * ```ts
 * const certs = await ensureSiteCertificates(config.site.cert_dir, { fqdn: config.site.fqdn });
 * https.createServer({ cert: await readFile(certs.hostCertFile), key: await readFile(certs.hostKeyFile) });
 * ```
 */
export async function ensureSiteCertificates(certDir: string, options: SiteCertificateOptions): Promise<SiteCertificates> {
  if (typeof certDir !== 'string' || certDir.length === 0 || certDir.length > 4096 || certDir.includes('\u0000')) {
    throw new InvalidInputError('The certificate folder must be a path of at most 4096 characters without NUL bytes');
  }
  const opts = parseInput(optionsSchema, options, 'site certificate options');
  const dir = resolve(certDir);
  const previous = running.get(dir);
  if (previous !== undefined) await previous.catch(() => undefined);
  const run = ensure(dir, opts).catch((err: unknown) => {
    if (err instanceof CertificateError || err instanceof InvalidInputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new CertificateError(`Could not create the site certificates in ${dir} (${code ?? 'error'}); check that the folder is writable`, { cause: err });
  });
  running.set(dir, run);
  try {
    return await run;
  } finally {
    if (running.get(dir) === run) running.delete(dir);
  }
}
