/**
 * The JSON form of a share link in the API (`/api/v1/share-links…`) and its JSON schema for the
 * routes' OpenAPI documentation. Never carries a password or its hash.
 * @packageDocumentation
 */
import type { ShareLink, ShareLinkKind, ShareLinkMode, ShareLinkState } from '@migrid/core';

/** One share link as the API returns it. */
export interface ShareLinkJson {
  /** The secret id: the link's last path part, and the login name over SFTP/FTPS/WebDAVS. */
  readonly id: string;
  /** `<base url>/share/<id>`. */
  readonly url: string;
  readonly mode: ShareLinkMode;
  readonly kind: ShareLinkKind;
  /** The target as its owner's view names it, e.g. `/results`. */
  readonly path: string;
  /** The VGrid whose share the target lies in, or null for the owner's home. */
  readonly vgrid: string | null;
  readonly state: ShareLinkState;
  readonly uses: number;
  /** Most logins allowed; null = no limit. */
  readonly maxUses: number | null;
  /** ISO 8601; null = never. */
  readonly expiresAt: string | null;
  readonly hasPassword: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly revokedAt: string | null;
  /** Addresses invited so far. */
  readonly invites: readonly string[];
  /** The owner's email address (whose link it is). */
  readonly owner: string;
  /** Whether the caller made the link. */
  readonly mine: boolean;
}

const iso = (t: number): string => new Date(t).toISOString();
const isoOrNull = (t: number | null): string | null => (t === null ? null : iso(t));

/** The API form of `link` (`state` from the store, `owner` its owner's email). */
export function shareLinkJson(link: ShareLink, input: { baseUrl: string; state: ShareLinkState; owner: string; callerId: string }): ShareLinkJson {
  return {
    id: link.id,
    url: `${input.baseUrl.replace(/\/+$/, '')}/share/${link.id}`,
    mode: link.mode,
    kind: link.kind,
    path: link.viewPath,
    vgrid: link.rootId.startsWith('vgrid:') ? link.rootId.slice('vgrid:'.length) : null,
    state: input.state,
    uses: link.uses,
    maxUses: link.maxUses,
    expiresAt: isoOrNull(link.expiresAt),
    hasPassword: link.hasPassword,
    createdAt: iso(link.createdAt),
    updatedAt: iso(link.updatedAt),
    revokedAt: isoOrNull(link.revokedAt),
    invites: link.invites,
    owner: input.owner,
    mine: link.ownerId === input.callerId,
  };
}

const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: 'string', format: 'date-time', nullable: true } as const;

/** JSON schema of {@link ShareLinkJson}. */
export const shareLinkSchema = {
  type: 'object',
  required: ['id', 'url', 'mode', 'kind', 'path', 'vgrid', 'state', 'uses', 'maxUses', 'expiresAt', 'hasPassword', 'createdAt', 'updatedAt', 'revokedAt', 'invites', 'owner', 'mine'],
  properties: {
    id: { type: 'string', description: 'The secret id: the login name (and, without a password of its own, the password) over SFTP, FTPS and WebDAVS.' },
    url: { type: 'string', description: 'The web address of the link, `<site>/share/<id>`.' },
    mode: { type: 'string', enum: ['ro', 'wo', 'rw'], description: '`ro` read-only, `wo` upload only (drop box), `rw` read and write.' },
    kind: { type: 'string', enum: ['file', 'folder'] },
    path: { type: 'string', description: "The shared file or folder as the owner's view names it." },
    vgrid: { type: 'string', nullable: true, description: 'The VGrid whose share the target lies in; null for the home.' },
    state: { type: 'string', enum: ['active', 'expired', 'revoked', 'used-up'] },
    uses: { type: 'integer', description: 'Logins so far (one per session).' },
    maxUses: { type: 'integer', nullable: true, description: 'Most logins allowed; null = no limit.' },
    expiresAt: nullableTime,
    hasPassword: { type: 'boolean', description: 'Whether the link has a password of its own (else the id is the password).' },
    createdAt: time,
    updatedAt: time,
    revokedAt: nullableTime,
    invites: { type: 'array', items: { type: 'string' }, description: 'Email addresses invited so far.' },
    owner: { type: 'string', description: "The owner's email address." },
    mine: { type: 'boolean', description: 'Whether the caller made the link.' },
  },
} as const;
