/**
 * The user record: what the user store gives callers. It never carries the password hash; the
 * authenticator reads that through the store's `findByLogin`.
 * @packageDocumentation
 */
import type { Row, UsersTable } from '../db/schema.js';

/**
 * MiG's account states, in MiG's order: `active` (normal), `temporal` (short-term or peer-vouched,
 * still allowed in), `suspended` (every login refused until reactivated), `retired` (closed; the
 * record is kept).
 */
export const USER_STATUSES = ['active', 'temporal', 'suspended', 'retired'] as const;
/** An account state, see {@link USER_STATUSES}. */
export type UserStatus = (typeof USER_STATUSES)[number];

/** The file protocols a user may switch off for their own account. */
export const USER_PROTOCOLS = ['web', 'sftp', 'ftps', 'webdavs'] as const;
/** One switchable protocol. */
export type UserProtocol = (typeof USER_PROTOCOLS)[number];

/** Per-user settings kept with the account. */
export interface UserSettings {
  /** Which protocols the account may log in with; all `true` by default. */
  readonly protocols: Readonly<Record<UserProtocol, boolean>>;
}

/** The settings of a new account: every protocol on. */
export const DEFAULT_USER_SETTINGS: UserSettings = Object.freeze({
  protocols: Object.freeze({ web: true, sftp: true, ftps: true, webdavs: true }),
});

/** The canonical identity of an account or a sign-up request: its MiG DN and the parts of it. */
export interface IdentityFields {
  /** Canonical MiG distinguished name, recomputed whenever a name field or the email changes. */
  readonly dn: string;
  /** Lower-cased email address; always also a login alias of an account. */
  readonly email: string;
  readonly fullName: string;
  readonly organization: string;
  readonly organizationalUnit: string;
  readonly locality: string;
  /** Two-letter state code or `''`. */
  readonly state: string;
  /** Two-letter country code. */
  readonly country: string;
}

/** A user account as callers see it. Times are epoch milliseconds. */
export interface UserRecord extends IdentityFields {
  /** Stable random id (64 chars `[A-Za-z0-9]`, MiG's unique_id); also the home folder's name. */
  readonly id: string;
  readonly status: UserStatus;
  /** Why the status was last changed by suspend/retire/reactivate (`''` when never or no reason given). */
  readonly statusReason: string;
  /** When the status was last changed by suspend/retire/reactivate, or `null`. */
  readonly statusChangedAt: number | null;
  /** When access ends; `null` = never. */
  readonly expiresAt: number | null;
  readonly createdAt: number;
  /** Last renewal, or `null`. */
  readonly renewedAt: number | null;
  readonly updatedAt: number;
  /** Site-level roles, e.g. `admin`. */
  readonly roles: readonly string[];
  /** Login aliases: the email first, then the extra ones, all lower-case. */
  readonly aliases: readonly string[];
  /** Free text, e.g. why the account exists. */
  readonly comment: string;
  /** When the site's terms were accepted, or `null`. */
  readonly acceptedTermsAt: number | null;
  /** Whether a password is set (password logins are possible). */
  readonly hasPassword: boolean;
  readonly settings: UserSettings;
}

/** What the `settings` JSON column holds: the public settings plus the last status change. */
export interface StoredSettings {
  readonly protocols: Record<UserProtocol, boolean>;
  readonly statusNote?: {
    readonly reason: string;
    readonly at: number;
    /** The state before a suspend/retire, so reactivate can restore `temporal`. */
    readonly previous: UserStatus;
  };
}

/** True when `value` is one of {@link USER_STATUSES}. */
export function isUserStatus(value: unknown): value is UserStatus {
  return typeof value === 'string' && (USER_STATUSES as readonly string[]).includes(value);
}

/** Reads the settings column, falling back to defaults for anything missing or malformed. */
export function parseStoredSettings(json: string): StoredSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    raw = {};
  }
  const obj = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const protocolsRaw = typeof obj.protocols === 'object' && obj.protocols !== null ? (obj.protocols as Record<string, unknown>) : {};
  const protocols = { ...DEFAULT_USER_SETTINGS.protocols };
  for (const p of USER_PROTOCOLS) {
    if (typeof protocolsRaw[p] === 'boolean') protocols[p] = protocolsRaw[p];
  }
  const noteRaw = obj.statusNote as Record<string, unknown> | undefined;
  if (
    typeof noteRaw === 'object' && noteRaw !== null &&
    typeof noteRaw.reason === 'string' && typeof noteRaw.at === 'number' && isUserStatus(noteRaw.previous)
  ) {
    return { protocols, statusNote: { reason: noteRaw.reason, at: noteRaw.at, previous: noteRaw.previous } };
  }
  return { protocols };
}

function parseRoles(json: string): string[] {
  try {
    const raw: unknown = JSON.parse(json);
    return Array.isArray(raw) ? raw.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return [];
  }
}

/** Builds the record from a `users` row and the user's aliases (email first). */
export function userRecordFromRow(row: Row<UsersTable>, aliases: readonly string[]): UserRecord {
  const stored = parseStoredSettings(row.settings);
  const extra = aliases.filter((a) => a !== row.email).sort();
  return {
    id: row.id,
    dn: row.dn,
    email: row.email,
    fullName: row.full_name,
    organization: row.organization,
    organizationalUnit: row.organizational_unit,
    locality: row.locality,
    state: row.state,
    country: row.country,
    // A status this version does not know (written by a newer one?) is treated as locked: deny by default.
    status: isUserStatus(row.status) ? row.status : 'suspended',
    statusReason: stored.statusNote?.reason ?? '',
    statusChangedAt: stored.statusNote?.at ?? null,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    renewedAt: row.renewed_at,
    updatedAt: row.updated_at,
    roles: parseRoles(row.roles),
    aliases: [row.email, ...extra],
    comment: row.comment,
    acceptedTermsAt: row.accepted_terms_at,
    hasPassword: row.password_hash !== null,
    settings: { protocols: { ...stored.protocols } },
  };
}
