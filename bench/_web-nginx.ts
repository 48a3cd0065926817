/**
 * A private nginx for `bench/web.ts`: Debian's nginx on a free port of 127.0.0.1 with its own
 * config in a temp folder, serving one folder over HTTPS with the same certificate and key as our
 * server. Static GET, `autoindex_format json` listings and PUT through `ngx_http_dav_module`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../test/support/free-port.js';

const exec = promisify(execFile);

/** A running private nginx. */
export interface BenchNginx {
  readonly port: number;
  /** The master's process id (the workers are its children). */
  readonly pid: number;
  /** The config file it runs with (printed in the bench's notes). */
  readonly configFile: string;
  /** `nginx -v` text, e.g. `nginx/1.22.1`. */
  readonly version: string;
  stop(): Promise<void>;
}

/** Options of {@link startNginx}. */
export interface NginxOptions {
  /** A fresh folder for nginx's config, pid, logs and request body temp files. */
  readonly dir: string;
  /** The folder served at `/` (GET, PUT, JSON autoindex). */
  readonly root: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** Worker processes (default 1: our server is one Node process). */
  readonly workers?: number;
}

/** Fails with a clear message when nginx or its dav module is missing. */
export async function checkNginx(): Promise<string> {
  let text: string;
  try {
    const { stderr } = await exec('nginx', ['-V']);
    text = stderr;
  } catch (error) {
    throw new Error(`nginx is not installed (apt-get install nginx-core): ${String(error)}`);
  }
  if (!text.includes('--with-http_dav_module')) throw new Error('this nginx lacks ngx_http_dav_module (needed for PUT)');
  if (!text.includes('--with-http_ssl_module')) throw new Error('this nginx lacks ngx_http_ssl_module');
  return /nginx version: (\S+)/.exec(text)?.[1] ?? 'nginx';
}

/** Starts nginx in the foreground (`daemon off`) and waits until it accepts connections. */
export async function startNginx(o: NginxOptions): Promise<BenchNginx> {
  const version = await checkNginx();
  await mkdir(join(o.dir, 'logs'), { recursive: true });
  await mkdir(join(o.dir, 'body'), { recursive: true });
  const port = await freePort();
  const configFile = join(o.dir, 'nginx.conf');
  const asRoot = process.getuid?.() === 0;
  await writeFile(
    configFile,
    [
      // As root, workers would otherwise switch to `nobody`, who cannot read the user's home.
      ...(asRoot ? ['user root;'] : []),
      `worker_processes ${o.workers ?? 1};`,
      `pid ${join(o.dir, 'nginx.pid')};`,
      `error_log ${join(o.dir, 'logs', 'error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      // Debian's default; without kTLS nginx cannot sendfile() over TLS and writes through OpenSSL.
      '  sendfile on;',
      '  default_type application/octet-stream;',
      `  client_body_temp_path ${join(o.dir, 'body')};`,
      '  keepalive_requests 1000000;',
      '  keepalive_timeout 65s;',
      '  server {',
      `    listen 127.0.0.1:${port} ssl;`,
      `    ssl_certificate ${o.certFile};`,
      `    ssl_certificate_key ${o.keyFile};`,
      '    ssl_protocols TLSv1.2 TLSv1.3;',
      `    root ${o.root};`,
      '    location / {',
      '      dav_methods PUT;',
      '      create_full_put_path on;',
      '      client_max_body_size 0;',
      '      autoindex on;',
      '      autoindex_format json;',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('nginx', ['-p', o.dir, '-c', configFile, '-e', join(o.dir, 'logs', 'error.log'), '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const { connect } = await import('node:net');
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) {
      const errors = await readFile(join(o.dir, 'logs', 'error.log'), 'utf8').catch(() => '');
      throw new Error(`nginx did not start: ${log}${errors}`);
    }
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    if (i >= 100) throw new Error(`nginx did not listen on ${port} within 5 s: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    pid: child.pid as number,
    configFile,
    version,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
