/**
 * This site as an OpenID Connect relying party (openid-client): discovery of the provider (cached,
 * retried after a failure), the authorization URL with state, nonce and PKCE, and the code
 * exchange with every check openid-client does (state, issuer, audience, signature, nonce,
 * expiry, PKCE), completed with the userinfo claims.
 * @packageDocumentation
 */
import * as client from 'openid-client';
import { AuthError, ConfigError, type OidcSection } from '@migrid/core';
import type { OidcClaims } from './oidc-claims.js';

/** How long one request to the provider may take. */
const PROVIDER_TIMEOUT_MS = 15_000;
/** A failed discovery is retried after this long, not on every click. */
const DISCOVERY_RETRY_MS = 10_000;

/** What the browser's session keeps between the redirect to the provider and the callback. */
export interface OidcPendingLogin {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  /** Where to go after sign-in (checked with `safeNext` when used). */
  readonly next: string;
  /** Epoch ms after which the callback is refused. */
  readonly until: number;
}

/** True for `http://` issuers on this host (development and tests); every other issuer must be HTTPS. */
function isLoopbackHttp(issuer: URL): boolean {
  return issuer.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(issuer.hostname);
}

/** The relying party of one `[oidc]` section. */
export class OidcRelyingParty {
  readonly #section: OidcSection;
  readonly #redirectUri: string;
  #configuration: Promise<client.Configuration> | undefined;
  #failedAt = 0;

  /**
   * @param section the site's `[oidc]` config (enabled, with issuer and client id)
   * @param redirectUri the absolute callback URL registered at the provider
   */
  constructor(section: OidcSection, redirectUri: string) {
    this.#section = section;
    this.#redirectUri = redirectUri;
  }

  /** The callback URL this party gives the provider. */
  get redirectUri(): string {
    return this.#redirectUri;
  }

  /** The provider's metadata and this client, discovered once. */
  configuration(now: number = Date.now()): Promise<client.Configuration> {
    if (this.#configuration === undefined || (this.#failedAt !== 0 && now - this.#failedAt >= DISCOVERY_RETRY_MS)) {
      this.#failedAt = 0;
      const attempt = this.#discover();
      attempt.catch(() => {
        this.#failedAt = Date.now();
      });
      this.#configuration = attempt;
    }
    return this.#configuration;
  }

  async #discover(): Promise<client.Configuration> {
    const { issuer, client_id: clientId, client_secret: secret } = this.#section;
    if (issuer === undefined || clientId === undefined) {
      throw new ConfigError('OpenID Connect is not configured: set [oidc] issuer and client_id (see mig checkconf).');
    }
    const issuerUrl = new URL(issuer);
    const auth = secret === undefined ? client.None() : client.ClientSecretBasic(secret);
    const timedFetch: client.CustomFetch = (url, options) => fetch(url, { ...options, signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS) } as RequestInit);
    try {
      return await client.discovery(issuerUrl, clientId, { redirect_uris: [this.#redirectUri], response_types: ['code'] }, auth, {
        [client.customFetch]: timedFetch,
        ...(isLoopbackHttp(issuerUrl) && { execute: [client.allowInsecureRequests] }),
      });
    } catch (err) {
      throw new AuthError('MIG_E_AUTH_FAILED', 'The OpenID Connect provider cannot be reached or described itself wrongly; try again later, or sign in another way.', { cause: err });
    }
  }

  /** Starts a sign-in: the pending state to keep in the session, and the provider URL to send the browser to. */
  async begin(next: string, now: number, ttlMs: number): Promise<{ pending: OidcPendingLogin; url: string }> {
    const configuration = await this.configuration(now);
    const verifier = client.randomPKCECodeVerifier();
    const pending: OidcPendingLogin = { state: client.randomState(), nonce: client.randomNonce(), verifier, next, until: now + ttlMs };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.#redirectUri,
      response_type: 'code',
      scope: this.#section.scopes.join(' '),
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return { pending, url: url.href };
  }

  /**
   * Finishes a sign-in from the callback URL (as the browser requested it): exchanges the code and
   * returns the ID token's claims, completed by the userinfo endpoint's when the provider has one.
   * @throws whatever openid-client throws for a refused or forged callback (the caller refuses the sign-in).
   */
  async finish(callbackUrl: URL, pending: OidcPendingLogin): Promise<OidcClaims> {
    const configuration = await this.configuration();
    const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: pending.verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const idClaims = tokens.claims();
    if (idClaims === undefined) throw new AuthError('MIG_E_AUTH_FAILED', 'The provider sent no ID token.');
    let userinfo: Record<string, unknown> = {};
    if (configuration.serverMetadata().userinfo_endpoint !== undefined && typeof tokens.access_token === 'string') {
      userinfo = { ...(await client.fetchUserInfo(configuration, tokens.access_token, idClaims.sub)) };
    }
    // The signed ID token wins over userinfo where both speak.
    return Object.freeze({ ...userinfo, ...idClaims });
  }
}
