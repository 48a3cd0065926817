import { chmod, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  ensureSiteCertificates, InvalidInputError, issueUserCertificate, NotFoundError, pkcs12Bundle,
} from '@migrid/core';
import { println, readFirstLine, type CliIo } from '../io.js';
import { withSite, type ConfigOption } from '../site-from-options.js';

interface CertIssueOptions extends ConfigOption {
  days?: string;
  out?: string;
  p12?: boolean;
  passwordStdin?: boolean;
}

/** Longest certificate validity `mig cert issue` accepts, in days. */
const MAX_DAYS = 36_500;

/**
 * `mig cert issue <user> [--days N] [--out FILE] [--p12 --password-stdin]`: a client certificate
 * for certificate sign-in, signed by the site CA, with a new private key. PEM (certificate, then
 * key) goes to standard output or FILE; `--p12` writes a PKCS#12 bundle protected by the password
 * read from standard input (needs `--out`). Files are written with mode 0600.
 */
export function registerCertCommands(program: Command, io: CliIo): void {
  const cert = program.command('cert').description('user certificates for certificate sign-in');
  cert
    .command('issue <user>')
    .description('issue a client certificate (and key) for a user, signed by the site CA')
    .option('-c, --config <file>', 'config file (default: $MIG_CONF, then ./mig.toml)')
    .option('--days <n>', 'days the certificate is valid (default: [accounts] valid_days, never past the account\'s expiry)')
    .option('--out <file>', 'write to this file (mode 0600) instead of standard output')
    .option('--p12', 'write a password-protected PKCS#12 bundle (needs --out and --password-stdin)')
    .option('--password-stdin', 'read the PKCS#12 password from the first line of standard input')
    .action(async (login: string, opts: CertIssueOptions) => {
      let days: number | undefined;
      if (opts.days !== undefined) {
        days = Number(opts.days);
        if (!/^\d+$/.test(opts.days) || !Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
          throw new InvalidInputError(`--days must be a whole number from 1 to ${MAX_DAYS}.`);
        }
      }
      if (opts.p12 === true && (opts.out === undefined || opts.passwordStdin !== true)) {
        throw new InvalidInputError('--p12 writes a binary file protected by a password: give --out FILE and --password-stdin.');
      }
      if (opts.passwordStdin === true && opts.p12 !== true) {
        throw new InvalidInputError('--password-stdin is only for --p12 (PEM output is not encrypted).');
      }
      const password = opts.p12 === true ? await readFirstLine(io) : undefined;
      if (password !== undefined && password.length < 4) throw new InvalidInputError('The PKCS#12 password must have at least 4 characters.');
      await withSite(opts, io, async (site) => {
        const user = await site.users.find(login);
        if (user === undefined) {
          throw new NotFoundError('MIG_E_USER_NOT_FOUND', `No user matches "${login.slice(0, 256)}": give an email, login alias, DN or user id (see mig user list).`);
        }
        const now = Date.now();
        let validDays = days ?? site.config.accounts.valid_days;
        if (user.expiresAt !== null) {
          const left = Math.floor((user.expiresAt - now) / 86_400_000);
          if (left < 1) throw new InvalidInputError(`The account of ${user.email} has expired; renew it first (mig user renew).`);
          validDays = Math.min(validDays, left);
        }
        const files = await ensureSiteCertificates(site.config.site.cert_dir, { fqdn: site.config.site.fqdn });
        const [caCertPem, caKeyPem] = await Promise.all([readFile(files.caCertFile, 'utf8'), readFile(files.caKeyFile, 'utf8')]);
        const issued = await issueUserCertificate({ certPem: caCertPem, keyPem: caKeyPem }, { dn: user.dn, validDays });
        const keyPem = issued.keyPem ?? '';
        await site.audit.record({ actor: 'admin:local', action: 'certificate.issue', target: user.id, outcome: 'success', details: { days: validDays, format: opts.p12 === true ? 'p12' : 'pem' } });
        const output = password !== undefined
          ? pkcs12Bundle({ certPem: issued.certPem, keyPem, caCertPem, password, friendlyName: `${user.fullName} (${site.config.site.short_title})`.slice(0, 128) })
          : `${issued.certPem.trim()}\n${keyPem.trim()}\n`;
        if (opts.out === undefined) {
          io.stdout.write(output);
          return;
        }
        const file = resolve(io.cwd, opts.out);
        await writeFile(file, output, { mode: 0o600 });
        await chmod(file, 0o600); // an existing file keeps its mode otherwise
        println(io, `Issued a certificate for ${user.dn}, valid ${validDays} days, to ${file}`);
      });
    });
}
