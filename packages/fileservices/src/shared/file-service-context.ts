/**
 * What every file server needs from a site: the core's authenticator (who may log in), its view
 * provider (what they may touch) and a logger. A `Site` from `openSite` is one; an SDK user can
 * assemble their own (see `examples/embed-sftp.ts`).
 * @packageDocumentation
 */
import { isShareIdShape, shareLinkLogName, type Authenticator, type Principal, type SiteLogger, type ViewProvider } from '@migrid/core';

/** The parts of a site a file server uses. `openSite()`'s `Site` satisfies it. */
export interface FileServiceContext {
  /**
   * Decides every login (defender, status, expiry, protocol switches, auth log). Without
   * `authenticateShareLink`, share-link ids are not accepted as login names.
   */
  readonly auth: Pick<Authenticator, 'authenticatePassword' | 'authenticatePublicKey'> & Partial<Pick<Authenticator, 'authenticateShareLink'>>;
  /** Turns the logged-in principal into the only file view the session may use. */
  readonly files: ViewProvider;
  /** Structured logger (pino). */
  readonly logger: SiteLogger;
}

/** Who a user-name-and-password login turned out to be. */
export interface PasswordLogin {
  /** The principal to ask the view provider for. */
  readonly principal: Principal;
  /** What the per-user session limiter counts: the user id, or `share-link:<id>` per link. */
  readonly sessionKey: string;
  /** A log-safe name: the user id, or `share-link:<hash>` (never a share id, which is a secret). */
  readonly logName: string;
}

/**
 * A login by name and password over a file protocol: a name shaped like a share link id (and a
 * context that knows share links) is a share-link login (`authenticateShareLink`: the password is
 * the link's own or the id itself), anything else a user's password login. Share links never log
 * in by public key. `countUse: false` re-checks a session whose use was already counted.
 * @throws the authenticator's `MigError`s.
 */
export async function passwordLogin(
  context: FileServiceContext,
  input: { login: string; password: string; address: string; protocol: string; countUse?: boolean },
): Promise<PasswordLogin> {
  const { auth } = context;
  if (auth.authenticateShareLink !== undefined && isShareIdShape(input.login)) {
    const { shareId } = await auth.authenticateShareLink({
      shareId: input.login,
      password: input.password,
      address: input.address,
      protocol: input.protocol,
      ...(input.countUse === undefined ? {} : { countUse: input.countUse }),
    });
    return { principal: { kind: 'share-link', shareId }, sessionKey: `share-link:${shareId}`, logName: shareLinkLogName(shareId) };
  }
  const { userId } = await auth.authenticatePassword({ login: input.login, password: input.password, address: input.address, protocol: input.protocol });
  return { principal: { kind: 'user', userId }, sessionKey: userId, logName: userId };
}
