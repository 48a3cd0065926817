/**
 * The site CA as the certificate routes need it: its PEMs (read once per site and process) and
 * user certificates issued with it.
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import {
  ensureSiteCertificates, issueUserCertificate, type CertificateAndKey, type Site, type UserCertificate, type UserRecord,
} from '@migrid/core';

const loaded = new WeakMap<Site, Promise<CertificateAndKey>>();

/** The site CA certificate and key (PEM), created on first use like the servers do. */
export function siteCertificateAuthority(site: Site): Promise<CertificateAndKey> {
  let ca = loaded.get(site);
  if (ca === undefined) {
    ca = (async () => {
      const files = await ensureSiteCertificates(site.config.site.cert_dir, { fqdn: site.config.site.fqdn });
      const [certPem, keyPem] = await Promise.all([readFile(files.caCertFile, 'utf8'), readFile(files.caKeyFile, 'utf8')]);
      return { certPem, keyPem };
    })();
    ca.catch(() => loaded.delete(site));
    loaded.set(site, ca);
  }
  return ca;
}

/** Most days a user certificate is valid (the web never issues longer ones). */
export const MAX_USER_CERT_DAYS = 3650;

/**
 * Days a new certificate of `user` is valid: `requested` (default `[accounts] valid_days`), but
 * never past the account's expiry and never more than {@link MAX_USER_CERT_DAYS}; at least 1.
 */
export function certificateDays(site: Site, user: UserRecord, now: number, requested?: number): number {
  let days = Math.min(requested ?? site.config.accounts.valid_days, MAX_USER_CERT_DAYS);
  if (user.expiresAt !== null) days = Math.min(days, Math.ceil((user.expiresAt - now) / 86_400_000));
  return Math.max(1, Math.floor(days));
}

/** Issues a certificate (with a new key) whose subject is the user's DN, signed by the site CA. */
export async function issueSiteUserCertificate(site: Site, user: UserRecord, validDays: number): Promise<UserCertificate & { readonly caCertPem: string }> {
  const ca = await siteCertificateAuthority(site);
  const issued = await issueUserCertificate(ca, { dn: user.dn, validDays });
  return { ...issued, caCertPem: ca.certPem };
}
