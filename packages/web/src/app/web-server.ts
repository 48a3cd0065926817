/**
 * The web server: the web app over HTTPS on the site's `[web]` address, with the site's host
 * certificate by default (or `[web] cert_file`/`key_file`).
 * @packageDocumentation
 */
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ensureSiteCertificates } from '@migrid/core';
import { createWebApp, type WebAppOptions } from './create-web-app.js';

/** Options of {@link WebServer}. */
export interface WebServerOptions extends Omit<WebAppOptions, 'tls'> {
  /** TLS material; default: read `[web] cert_file`/`key_file` (making the site certificates if missing). */
  readonly tls?: WebAppOptions['tls'];
}

/** Where a started server listens. */
export interface WebServerAddress {
  readonly host: string;
  readonly port: number;
  /** e.g. `https://127.0.0.1:8443` */
  readonly url: string;
}

/**
 * Serves the web app over HTTPS.
 * @example
 * ```ts
 * const server = new WebServer({ site });
 * const { url } = await server.listen(); // [web] host and port
 * await server.close();
 * ```
 */
export class WebServer {
  #app: FastifyInstance | undefined;
  readonly #options: WebServerOptions;

  constructor(options: WebServerOptions) {
    this.#options = options;
  }

  /** The Fastify app (after {@link WebServer.listen}). */
  get app(): FastifyInstance {
    if (this.#app === undefined) throw new Error('WebServer: call listen() first');
    return this.#app;
  }

  /** Starts listening (port 0 picks a free port). */
  async listen(port: number = this.#options.site.config.web.port, host: string = this.#options.site.config.web.host): Promise<WebServerAddress> {
    const { site } = this.#options;
    let tls = this.#options.tls;
    if (tls === undefined) {
      const certs = await ensureSiteCertificates(site.config.site.cert_dir, { fqdn: site.config.site.fqdn });
      const [cert, key, ca] = await Promise.all([readFile(site.config.web.cert_file), readFile(site.config.web.key_file), readFile(certs.caCertFile)]);
      tls = { cert, key, clientCa: ca };
    }
    this.#app = await createWebApp({ ...this.#options, tls });
    await this.#app.listen({ port, host });
    const address = this.#app.server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return { host: address.address, port: address.port, url: `https://${shownHost}:${address.port}` };
  }

  /** Stops accepting connections and closes open ones. */
  async close(): Promise<void> {
    await this.#app?.close();
  }
}
