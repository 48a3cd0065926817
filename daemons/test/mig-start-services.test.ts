import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'smol-toml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort, freePortRange } from '../../test/support/free-port.js';
import { MIG_ENTRY, REPO_ROOT, runMig, runTs, startUntil as startIn } from '../../test/support/run-mig.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mig-start-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `mig init` and moves every service to free ports; returns the ports. */
async function initOnFreePorts(): Promise<Record<string, number>> {
  const init = await runMig(['init'], { cwd: dir });
  expect(init.code).toBe(0);
  const path = join(dir, 'mig.toml');
  const tree = parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>;
  const ports: Record<string, number> = {};
  for (const section of ['web', 'sftp', 'ftps', 'webdavs']) {
    ports[section] = await freePort();
    tree[section] = { ...(tree[section] ?? {}), port: ports[section] };
  }
  const passive = await freePortRange(10);
  tree.ftps = { ...tree.ftps, passive_ports: `${passive.first}-${passive.last}` };
  await writeFile(path, stringify(tree));
  return ports;
}


const startUntil = (entry: string, args: string[], ready: string) => startIn(entry, args, ready, { cwd: dir });

/** `curl` over HTTPS trusting the site CA; returns the body. */
async function curl(url: string): Promise<string> {
  const child = spawn('curl', ['-sS', '--fail', '--cacert', join(dir, 'state', 'certs', 'ca.pem'), url]);
  let body = '';
  child.stdout.on('data', (d: Buffer) => (body += d.toString()));
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`curl ${url} failed (${code}): ${err}`);
  return body;
}

/** The HTTP status `curl` gets (no credentials), trusting the site CA. */
async function curlStatus(url: string): Promise<string> {
  const child = spawn('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', join(dir, 'state', 'certs', 'ca.pem'), url]);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return out.trim();
}

/** The first line a TCP server sends (SSH and FTP servers greet first). */
async function banner(port: number): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  try {
    return await new Promise<string>((resolve, reject) => {
      let data = '';
      socket.on('data', (d: Buffer) => {
        data += d.toString();
        if (data.includes('\n')) resolve(data.split('\n')[0] ?? '');
      });
      socket.once('error', reject);
      setTimeout(() => reject(new Error(`no banner on port ${port}`)), 10_000);
    });
  } finally {
    socket.destroy();
  }
}

describe('mig start', () => {
  it('starts every enabled service, each answering on its port, and stops cleanly', async () => {
    const ports = await initOnFreePorts();
    const running = await startUntil(MIG_ENTRY, ['start'], 'Ready.');
    try {
      expect(running.out()).toContain('grid_script');
      expect(running.out()).toContain(`grid_web      https://127.0.0.1:${ports.web}/`);
      const health = JSON.parse(await curl(`https://localhost:${ports.web}/healthz`)) as { status: string };
      expect(health.status).toBe('ok');
      expect(running.out()).toContain(`grid_sftp     sftp://127.0.0.1:${ports.sftp}`);
      expect(await banner(ports.sftp!)).toMatch(/^SSH-2\.0-/);
      expect(running.out()).toContain(`grid_ftps     ftps://127.0.0.1:${ports.ftps}`);
      expect(await banner(ports.ftps!)).toMatch(/^220[ -]/);
      expect(running.out()).toContain(`grid_webdavs  https://127.0.0.1:${ports.webdavs}/`);
      expect(await curlStatus(`https://localhost:${ports.webdavs}/`)).toBe('401');
    } finally {
      expect(await running.stop()).toBe(0);
    }
    expect(running.out()).toContain('Stopped.');
  });

  it('grid_web runs the portal alone, and refuses to start when disabled', async () => {
    const ports = await initOnFreePorts();
    const entry = join(REPO_ROOT, 'daemons', 'src', 'bin', 'grid_web.ts');
    const running = await startUntil(entry, [], 'listening on');
    try {
      expect(await curl(`https://localhost:${ports.web}/healthz`)).toContain('"ok"');
    } finally {
      expect(await running.stop()).toBe(0);
    }
    const path = join(dir, 'mig.toml');
    const tree = parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>;
    tree.web = { ...tree.web, enabled: false };
    await writeFile(path, stringify(tree));
    const disabled = await runTs(entry, [], { cwd: dir });
    expect(disabled.code).toBe(1);
    expect(disabled.stderr).toContain('grid_web: disabled in');
  });

  it('grid_ftps runs the FTPS server alone', async () => {
    const ports = await initOnFreePorts();
    const running = await startUntil(join(REPO_ROOT, 'daemons', 'src', 'bin', 'grid_ftps.ts'), [], 'listening on');
    try {
      expect(await banner(ports.ftps!)).toMatch(/^220[ -]/);
    } finally {
      expect(await running.stop()).toBe(0);
    }
  });
});
