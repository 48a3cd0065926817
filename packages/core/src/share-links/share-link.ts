/**
 * What a share link is: a secret id that gives anyone holding it one file (read-only) or one
 * folder (read-only, write-only "drop box", or read-write) of its owner's view.
 * @packageDocumentation
 */

/** What a link lets its holder do: `ro` read and list, `wo` upload only, `rw` everything. */
export type ShareLinkMode = 'ro' | 'wo' | 'rw';

/** Whether a link shares one file or a folder. File links are always `ro`. */
export type ShareLinkKind = 'file' | 'folder';

/** Whether a link can be used right now. */
export type ShareLinkState = 'active' | 'expired' | 'revoked' | 'used-up';

/** One share link as the store returns it (never its password hash). */
export interface ShareLink {
  /** The secret id; anyone who has it can use the link (with the password, when one is set). */
  readonly id: string;
  readonly ownerId: string;
  readonly mode: ShareLinkMode;
  readonly kind: ShareLinkKind;
  /** The owner's root the target lies in: `home:<user id>` or `vgrid:<name>`. */
  readonly rootId: string;
  /** The target relative to that root (`''` for the root itself). */
  readonly relPath: string;
  /** The target as the owner's view names it, e.g. `/results/run1`. */
  readonly viewPath: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** When the link stops working (epoch ms); null = never. */
  readonly expiresAt: number | null;
  /** Whether the link has a password of its own (else the id itself is the password). */
  readonly hasPassword: boolean;
  /** Most logins allowed; null = no limit. */
  readonly maxUses: number | null;
  /** Logins so far (one per login session, not per file operation). */
  readonly uses: number;
  readonly revokedAt: number | null;
  /** Email addresses invited so far. */
  readonly invites: readonly string[];
}

/** The state of `link` at time `now`: revoked wins over expired, expired over used-up. */
export function shareLinkState(link: Pick<ShareLink, 'revokedAt' | 'expiresAt' | 'maxUses' | 'uses'>, now: number): ShareLinkState {
  if (link.revokedAt !== null) return 'revoked';
  if (link.expiresAt !== null && link.expiresAt <= now) return 'expired';
  if (link.maxUses !== null && link.uses >= link.maxUses) return 'used-up';
  return 'active';
}
