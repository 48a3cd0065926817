import { connect, createServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { Server, TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueHostCertificate, issueUserCertificate } from '../src/certs/index.js';
import type { CertificateAndKey } from '../src/certs/index.js';

let siteCa: CertificateAndKey;
let otherCa: CertificateAndKey;
let host: CertificateAndKey;
let server: Server;
let port: number;

beforeAll(async () => {
  [siteCa, otherCa] = await Promise.all([
    createCertificateAuthority({ commonName: 'MiG test site CA', validDays: 30 }),
    createCertificateAuthority({ commonName: 'Some other CA', validDays: 30 }),
  ]);
  host = await issueHostCertificate(siteCa, { hostnames: ['localhost', 'mig.example.org'], ipAddresses: ['127.0.0.1', '::1'], validDays: 10 });
  server = createServer({
    cert: host.certPem,
    key: host.keyPem,
    ca: siteCa.certPem,
    requestCert: true,
    rejectUnauthorized: false,
  }, (socket) => {
    const peer = socket.getPeerCertificate();
    const who = socket.authorized ? `user:${peer.subject?.CN ?? '?'}` : 'anonymous';
    socket.end(`${who}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Outcome {
  readonly authorized: boolean;
  readonly error?: string;
  readonly reply?: string;
}

function handshake(options: { ca: string; servername?: string; cert?: string; key?: string }): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket: TLSSocket = connect({ host: '127.0.0.1', port, ...options }, () => {
      let reply = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => { reply += chunk; });
      socket.on('end', () => resolve({ authorized: socket.authorized, reply: reply.trim() }));
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve({ authorized: false, error: err.code ?? err.message }));
  });
}

describe('the host certificate in a real TLS handshake', () => {
  it('is trusted by a client that trusts the site CA (servername localhost)', async () => {
    const outcome = await handshake({ ca: siteCa.certPem, servername: 'localhost' });
    expect(outcome).toEqual({ authorized: true, reply: 'anonymous' });
  });

  it('is trusted for the site fqdn and for the IP address', async () => {
    expect((await handshake({ ca: siteCa.certPem, servername: 'mig.example.org' })).authorized).toBe(true);
    // No servername: Node checks the certificate against the IP address connected to.
    expect((await handshake({ ca: siteCa.certPem })).authorized).toBe(true);
  });

  it('is refused by a client that trusts another CA', async () => {
    const outcome = await handshake({ ca: otherCa.certPem, servername: 'localhost' });
    expect(outcome.authorized).toBe(false);
    expect(outcome.error).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER_CERT/);
  });

  it('is refused for a name it does not carry', async () => {
    const outcome = await handshake({ ca: siteCa.certPem, servername: 'evil.example.com' });
    expect(outcome.authorized).toBe(false);
    expect(outcome.error).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });
});

describe('a user certificate as TLS client certificate', () => {
  it('is accepted when issued by the site CA, and not when issued by another', async () => {
    const dn = '/C=DK/ST=NA/L=NA/O=Test Org/OU=NA/CN=Jane Doe/emailAddress=jane@example.org';
    const mine = await issueUserCertificate(siteCa, { dn, validDays: 5 });
    const foreign = await issueUserCertificate(otherCa, { dn, validDays: 5 });
    const ok = await handshake({ ca: siteCa.certPem, servername: 'localhost', cert: mine.certPem, key: mine.keyPem });
    expect(ok.reply).toBe('user:Jane Doe');
    const refused = await handshake({ ca: siteCa.certPem, servername: 'localhost', cert: foreign.certPem, key: foreign.keyPem });
    expect(refused.reply).toBe('anonymous');
  });
});
