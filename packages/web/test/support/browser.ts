/**
 * A tiny cookie-keeping client over `app.inject()` for page tests: remembers the session cookie,
 * reads the CSRF token from the page's `<meta name="csrf-token">`, posts forms.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sessionCookieOf } from './sessions.js';

export class TestBrowser {
  cookie: string | undefined;
  csrf = '';
  constructor(private readonly app: FastifyInstance, private readonly remoteAddress = '127.0.0.1') {}

  private keep(res: LightMyRequestResponse): LightMyRequestResponse {
    const set = res.headers['set-cookie'];
    const c = sessionCookieOf(set as string | string[] | undefined);
    if (c !== undefined) this.cookie = c.endsWith('=') ? undefined : c;
    const cleared = (Array.isArray(set) ? set : set === undefined ? [] : [String(set)]).some((x) => /Expires=Thu, 01 Jan 1970|Max-Age=0/i.test(x));
    if (cleared && c !== undefined && c.endsWith('=')) this.cookie = undefined;
    const meta = /<meta name="csrf-token" content="([^"]+)">/.exec(res.body);
    if (meta?.[1] !== undefined) this.csrf = meta[1];
    return res;
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.keep(await this.app.inject({ method: 'GET', url, remoteAddress: this.remoteAddress, headers: this.cookie === undefined ? {} : { cookie: this.cookie } }));
  }

  async post(url: string, form: Record<string, string> = {}, options: { csrf?: boolean } = {}): Promise<LightMyRequestResponse> {
    const fields = options.csrf === false ? form : { _csrf: this.csrf, ...form };
    return this.keep(await this.app.inject({
      method: 'POST',
      url,
      remoteAddress: this.remoteAddress,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(this.cookie === undefined ? {} : { cookie: this.cookie }) },
      payload: new URLSearchParams(fields).toString(),
    }));
  }
}
