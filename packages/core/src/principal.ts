/**
 * Who makes a request. Every operation from every protocol names its principal; the core turns it
 * into a view (what it may see and do). Protocol adapters never decide access themselves.
 */
export type Principal =
  | UserPrincipal
  | ShareLinkPrincipal
  | JobSessionPrincipal
  | ResourcePrincipal
  | AdminPrincipal;

/** A signed-in user, identified by the stable user id (not the DN or email, which may change). */
export interface UserPrincipal {
  readonly kind: 'user';
  readonly userId: string;
}

/** Someone holding a share link's secret id. */
export interface ShareLinkPrincipal {
  readonly kind: 'share-link';
  readonly shareId: string;
}

/** A running job, by its session id (its only credential while it runs). */
export interface JobSessionPrincipal {
  readonly kind: 'job-session';
  readonly sessionId: string;
}

/** A compute or storage resource's agent. */
export interface ResourcePrincipal {
  readonly kind: 'resource';
  readonly resourceId: string;
}

/** A site admin acting through an admin tool (the CLI or admin pages). */
export interface AdminPrincipal {
  readonly kind: 'admin';
  /** The admin user's id, or `null` for the local CLI run by the site's operator. */
  readonly userId: string | null;
}

/** A short, log-safe description of a principal (no secrets). */
export function describePrincipal(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return `user:${principal.userId}`;
    case 'share-link':
      return `share-link:${principal.shareId.slice(0, 4)}…`;
    case 'job-session':
      return `job-session:${principal.sessionId.slice(0, 8)}…`;
    case 'resource':
      return `resource:${principal.resourceId}`;
    case 'admin':
      return principal.userId === null ? 'admin:local' : `admin:${principal.userId}`;
  }
}
