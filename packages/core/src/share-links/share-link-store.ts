/**
 * The share link store: creating, listing, changing and revoking links, invites by email, and the
 * atomic use counter. Targets are resolved through the owner's own file view, so a link can never
 * name anything its owner could not reach, nor give more rights than the owner has there.
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { AuditLog } from '../auth/audit-log.js';
import { hashPassword, type PasswordHashOptions } from '../auth/password-hash.js';
import { isUniqueViolation, parseUserId, requireUser, systemClock, type Clock } from '../auth/store-support.js';
import type { Database } from '../db/schema.js';
import { AuthError, FileAccessError, InvalidInputError, MigError, NotFoundError, PolicyError } from '../errors.js';
import type { ViewProvider } from '../fs/view-provider.js';
import { checkEmailAddress } from '../identity/email-address.js';
import type { Notifier } from '../notify/notifier.js';
import { parseInput } from '../validation/parse-input.js';
import { shareLinkState, type ShareLink, type ShareLinkKind, type ShareLinkMode, type ShareLinkState } from './share-link.js';
import { generateShareId, isShareIdShape } from './share-link-id.js';

/**
 * What the store needs to know about VGrids (the VGrid store satisfies it). With none, links into
 * VGrid shares are refused.
 */
export interface ShareLinkVgridRules {
  /** The user's role in the VGrid, inheritance included; null when none. */
  roleOf(userId: string, name: string): Promise<'owner' | 'member' | null>;
  /** Who may make share links inside the VGrid's share (`VgridSettings.createShareLink`). */
  createShareLinkSetting(name: string): Promise<'owners' | 'members' | 'none'>;
  /** Whether members of the VGrid may only read its share (then only `ro` links work for them). */
  membersReadOnly?(name: string): Promise<boolean>;
  /** Changes whenever the user's VGrid roles may have changed (for live share views). */
  changeGeneration?(userId: string): Promise<string>;
}

/** Dependencies of {@link createShareLinkStore}. */
export interface ShareLinkStoreOptions {
  readonly db: Kysely<Database>;
  /** The site's view provider: targets are resolved in the owner's (user) view. */
  readonly files: ViewProvider;
  /** VGrid roles and settings; a function is asked at each use (the VGrid store may come later). */
  readonly vgrids?: ShareLinkVgridRules | (() => ShareLinkVgridRules | undefined);
  /** Sends invitations. Without one, invites are refused. */
  readonly notifier?: Notifier;
  /** Records create, update, revoke and invite. */
  readonly audit?: AuditLog;
  /** Where links are opened on the web, e.g. `https://mig.example.org` (invites show `<url>/share/<id>`). */
  readonly publicUrl?: string;
  /** The site's short title, for invitation mails. */
  readonly siteTitle?: string;
  /** Cost of link password hashes (tests make it cheap). */
  readonly hashOptions?: PasswordHashOptions;
  /** Clock for tests. */
  readonly now?: Clock;
}

/** What {@link ShareLinkStore.create} takes. */
export interface CreateShareLinkInput {
  /** The user making the link (the owner). */
  readonly ownerId: string;
  /** The file or folder as the owner's view names it, e.g. `/results` or `/Physics/data`. */
  readonly path: string;
  /** Default `ro`. File links can only be `ro`. */
  readonly mode?: ShareLinkMode;
  /** When the link stops working (epoch ms, in the future); omit or null for never. */
  readonly expiresAt?: number | null;
  /** A password of the link's own (8–256 characters); without one the id itself is the password. */
  readonly password?: string | null;
  /** Most logins allowed (1 … 1,000,000,000); omit or null for no limit. */
  readonly maxUses?: number | null;
  /** Client address for the audit log. */
  readonly address?: string;
}

/** What {@link ShareLinkStore.update} changes (only the fields given). */
export interface UpdateShareLinkInput {
  readonly expiresAt?: number | null;
  /** A new password, or null to go back to the id as password. */
  readonly password?: string | null;
  readonly maxUses?: number | null;
}

/** Who acts on a link: the owner (`userId`), or an admin tool (`admin: true`). */
export interface ShareLinkActor {
  readonly userId?: string;
  readonly admin?: boolean;
  readonly address?: string;
}

/** What the authenticator reads for a share-link login. */
export interface ShareLinkLoginRecord {
  readonly link: ShareLink;
  /** The link's own password hash, null when the id is the password. */
  readonly passwordHash: string | null;
  /** False when the owner's account is suspended, retired or past its expiry. */
  readonly ownerActive: boolean;
}

/** The share links of a site. */
export interface ShareLinkStore {
  /**
   * Makes a link to a file or folder of the owner's view. The target must exist there; a file link
   * must be `ro`; `wo`/`rw` need write access where the target lies; links into a VGrid share follow
   * the VGrid's `createShareLink` setting and the owner's role.
   * @throws InvalidInputError, NotFoundError `MIG_E_USER_NOT_FOUND`/`MIG_E_PATH_NOT_FOUND`,
   *   PolicyError `MIG_E_SHARE_LINK_NOT_ALLOWED`, and the file view's errors.
   */
  create(input: CreateShareLinkInput): Promise<ShareLink>;
  /** The link with this id. @throws NotFoundError `MIG_E_SHARE_LINK_NOT_FOUND`. */
  get(id: string): Promise<ShareLink>;
  /** The link with this id, or undefined (also for text not shaped like an id). */
  find(id: string): Promise<ShareLink | undefined>;
  /** The owner's links, newest first. */
  listByOwner(ownerId: string): Promise<ShareLink[]>;
  /** Links into the share of VGrid `name` and of its sub-VGrids, newest first (for its owners). */
  listForVgrid(name: string): Promise<ShareLink[]>;
  /**
   * Changes expiry, password or use limit. With `actor.userId`, only the owner may (others get
   * `MIG_E_SHARE_LINK_NOT_FOUND`, as if there were no such link).
   */
  update(id: string, changes: UpdateShareLinkInput, actor: ShareLinkActor): Promise<ShareLink>;
  /** Revokes the link for good (the row stays, for the owner's list and audit). Idempotent. */
  revoke(id: string, actor: ShareLinkActor): Promise<ShareLink>;
  /**
   * Emails an invitation with the link's address (and `message`) to each address, through the
   * site notifier, and remembers the addresses on the link.
   */
  invite(id: string, emails: readonly string[], actor: ShareLinkActor & { message?: string }): Promise<ShareLink>;
  /**
   * Counts one use, atomically: refused when that would pass `maxUses`
   * (`MIG_E_SHARE_LINK_USED_UP`), or when the link is revoked or expired.
   */
  recordUse(id: string): Promise<void>;
  /** For the authenticator: the link, its password hash and whether its owner may still share. */
  findForLogin(id: string): Promise<ShareLinkLoginRecord | undefined>;
  /**
   * A short string that changes whenever the link's usability may have changed (revoked,
   * expired, updated, owner status, owner's VGrid roles). One row read; live views poll it.
   */
  generation(id: string): Promise<string>;
  /** The state of a link now. */
  stateOf(link: ShareLink): ShareLinkState;
}

const MODES = ['ro', 'wo', 'rw'] as const;
const MAX_USES = 1_000_000_000;
const MAX_INVITES = 100;
const idSchema = z.string().min(1).max(64);
const expiresSchema = z.number().int().positive().max(8.64e15).nullable().optional();
const passwordSchema = z.string().min(8, 'must be at least 8 characters').max(256).nullable().optional();
const maxUsesSchema = z.number().int().min(1).max(MAX_USES).nullable().optional();
const createSchema = z.strictObject({
  ownerId: z.string(),
  path: z.string().min(1).max(4096),
  mode: z.enum(MODES).optional(),
  expiresAt: expiresSchema,
  password: passwordSchema,
  maxUses: maxUsesSchema,
  address: z.string().max(80).optional(),
});
const updateSchema = z.strictObject({ expiresAt: expiresSchema, password: passwordSchema, maxUses: maxUsesSchema });
const messageSchema = z.string().max(4000).optional();

type ShareLinkRow = {
  id: string;
  owner_id: string;
  mode: string;
  kind: string;
  root_id: string;
  rel_path: string;
  view_path: string;
  created_at: number | string | bigint;
  updated_at: number | string | bigint;
  expires_at: number | string | bigint | null;
  password_hash: string | null;
  max_uses: number | string | bigint | null;
  uses: number | string | bigint;
  revoked_at: number | string | bigint | null;
  invites: string;
};

const numOrNull = (v: number | string | bigint | null): number | null => (v === null ? null : Number(v));

function linkFromRow(row: ShareLinkRow): ShareLink {
  let invites: string[] = [];
  try {
    const parsed: unknown = JSON.parse(row.invites);
    if (Array.isArray(parsed)) invites = parsed.filter((e): e is string => typeof e === 'string');
  } catch {
    // a damaged list reads as empty
  }
  return {
    id: row.id,
    ownerId: row.owner_id,
    mode: row.mode as ShareLinkMode,
    kind: row.kind as ShareLinkKind,
    rootId: row.root_id,
    relPath: row.rel_path,
    viewPath: row.view_path,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    expiresAt: numOrNull(row.expires_at),
    hasPassword: row.password_hash !== null,
    maxUses: numOrNull(row.max_uses),
    uses: Number(row.uses),
    revokedAt: numOrNull(row.revoked_at),
    invites,
  };
}

/** A log-safe name for a link: never the whole secret id. */
export function shareLinkLogName(id: string): string {
  return `share-link:${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
}

/** The mount path of the root a canonical path lies in, chosen by longest prefix. */
function rootOfPath<R extends { mountPath: string }>(roots: readonly R[], canonical: string): R | undefined {
  let best: R | undefined;
  for (const r of roots) {
    const mount = r.mountPath === '/' ? '' : r.mountPath.replace(/\/+$/, '');
    if ((mount === '' || canonical === mount || canonical.startsWith(`${mount}/`)) && (best === undefined || r.mountPath.length > best.mountPath.length)) best = r;
  }
  return best;
}

/**
 * Creates the share link store.
 *
 * @example
 * ```ts
 * const link = await site.shareLinks.create({ ownerId: user.id, path: '/results', mode: 'ro', expiresAt: Date.now() + 7 * 86_400_000 });
 * // hand out link.id: it is the SFTP/FTPS/WebDAVS login name and (without a password) the password
 * ```
 */
export function createShareLinkStore(options: ShareLinkStoreOptions): ShareLinkStore {
  const { db, files } = options;
  const now = options.now ?? systemClock;
  const vgridRules = (): ShareLinkVgridRules | undefined => (typeof options.vgrids === 'function' ? options.vgrids() : options.vgrids);

  async function row(id: string): Promise<ShareLinkRow | undefined> {
    if (typeof id !== 'string' || !isShareIdShape(id)) return undefined;
    return (await db.selectFrom('share_links').selectAll().where('id', '=', id).executeTakeFirst()) as ShareLinkRow | undefined;
  }

  async function requireRow(id: string): Promise<ShareLinkRow> {
    parseInput(idSchema, id, 'share link id');
    const found = await row(id);
    if (found === undefined) throw new NotFoundError('MIG_E_SHARE_LINK_NOT_FOUND', 'There is no such share link; check the id.');
    return found;
  }

  /** The link, if the actor may change it; others are told there is no such link. */
  async function ownedRow(id: string, actor: ShareLinkActor): Promise<ShareLinkRow> {
    const found = await requireRow(id);
    if (actor.admin !== true && actor.userId !== found.owner_id) throw new NotFoundError('MIG_E_SHARE_LINK_NOT_FOUND', 'There is no such share link; check the id.');
    return found;
  }

  const actorName = (actor: ShareLinkActor): string => (actor.userId !== undefined ? `user:${actor.userId}` : actor.admin === true ? 'admin:local' : 'system');

  async function audit(actor: string, action: string, link: ShareLink | ShareLinkRow, address: string | undefined, details: Record<string, unknown>): Promise<void> {
    const id = link.id;
    await options.audit
      ?.record({ actor, action, target: shareLinkLogName(id), outcome: 'success', ...(address === undefined ? {} : { address }), details })
      .catch(() => undefined);
  }

  async function checkVgridTarget(ownerId: string, rootId: string): Promise<void> {
    if (!rootId.startsWith('vgrid:')) return;
    const name = rootId.slice('vgrid:'.length);
    const rules = vgridRules();
    if (rules === undefined) throw new PolicyError('MIG_E_SHARE_LINK_NOT_ALLOWED', 'Share links into workgroup folders are not available on this site.');
    const [role, setting] = await Promise.all([rules.roleOf(ownerId, name), rules.createShareLinkSetting(name)]);
    const allowed = setting === 'members' ? role !== null : setting === 'owners' ? role === 'owner' : false;
    if (!allowed) {
      throw new PolicyError(
        'MIG_E_SHARE_LINK_NOT_ALLOWED',
        setting === 'none' ? `The workgroup ${name} does not allow share links.` : `Only the ${setting} of the workgroup ${name} may make share links in its folder.`,
      );
    }
  }

  function checkFuture(expiresAt: number | null | undefined): void {
    if (expiresAt !== undefined && expiresAt !== null && expiresAt <= now()) throw new InvalidInputError('Invalid share link: expiresAt must be in the future.');
  }

  async function list(where: (q: ReturnType<typeof base>) => ReturnType<typeof base>): Promise<ShareLink[]> {
    const rows = (await where(base()).orderBy('created_at', 'desc').orderBy('id').execute()) as ShareLinkRow[];
    return rows.map(linkFromRow);
  }
  const base = () => db.selectFrom('share_links').selectAll();

  const store: ShareLinkStore = {
    async create(input) {
      const parsed = parseInput(createSchema, input, 'share link');
      const ownerId = parseUserId(parsed.ownerId);
      await requireUser(db, ownerId);
      checkFuture(parsed.expiresAt);
      const mode = parsed.mode ?? 'ro';
      // Resolve in the owner's own view: the same checks (escape, hidden names, symlinks) as any access.
      const view = await files.viewFor({ kind: 'user', userId: ownerId });
      const canonical = await view.realpath(parsed.path);
      const info = await view.stat(canonical);
      if (info.type !== 'directory' && info.type !== 'file') throw new InvalidInputError('Invalid share link: only files and folders can be shared.');
      const kind: ShareLinkKind = info.type === 'directory' ? 'folder' : 'file';
      if (kind === 'file' && mode !== 'ro') throw new InvalidInputError('Invalid share link: a single file can only be shared read-only; share its folder for uploads.');
      const root = rootOfPath(view.roots, canonical);
      if (root === undefined || !(root.id.startsWith('home:') || root.id.startsWith('vgrid:'))) {
        throw new PolicyError('MIG_E_SHARE_LINK_NOT_ALLOWED', `${canonical} cannot be shared with a link (only your home and workgroup folders can).`);
      }
      // A link never gives more than its owner has where the target lies.
      const needs = mode === 'ro' ? root.access.read && root.access.list : mode === 'wo' ? root.access.write : root.access.read && root.access.list && root.access.write;
      if (!needs) throw new PolicyError('MIG_E_SHARE_LINK_NOT_ALLOWED', `You may not give ${mode === 'ro' ? 'read' : 'write'} access to ${canonical}: you do not have it there yourself.`);
      await checkVgridTarget(ownerId, root.id);
      const mount = root.mountPath === '/' ? '' : root.mountPath.replace(/\/+$/, '');
      const relPath = canonical.slice(mount.length).replace(/^\/+/, '');
      const passwordHash = parsed.password === undefined || parsed.password === null ? null : await hashPassword(parsed.password, options.hashOptions);
      const at = now();
      for (let attempt = 0; attempt < 5; attempt++) {
        const id = generateShareId(mode);
        try {
          await db
            .insertInto('share_links')
            .values({
              id,
              owner_id: ownerId,
              mode,
              kind,
              root_id: root.id,
              rel_path: relPath,
              view_path: canonical,
              created_at: at,
              updated_at: at,
              expires_at: parsed.expiresAt ?? null,
              password_hash: passwordHash,
              max_uses: parsed.maxUses ?? null,
              uses: 0,
              revoked_at: null,
              invites: '[]',
            })
            .execute();
        } catch (err) {
          if (isUniqueViolation(err)) continue;
          throw err;
        }
        const link = await store.get(id);
        await audit(`user:${ownerId}`, 'share-link.create', link, parsed.address, {
          path: canonical,
          mode,
          kind,
          rootId: root.id,
          expiresAt: link.expiresAt,
          maxUses: link.maxUses,
          password: link.hasPassword,
        });
        return link;
      }
      throw new MigError('MIG_E_INTERNAL', 'Could not find a free share link id; try again.');
    },

    async get(id) {
      return linkFromRow(await requireRow(id));
    },

    async find(id) {
      const found = await row(id);
      return found === undefined ? undefined : linkFromRow(found);
    },

    async listByOwner(ownerId) {
      const owner = parseUserId(ownerId);
      return list((q) => q.where('owner_id', '=', owner));
    },

    async listForVgrid(name) {
      const vgrid = parseInput(z.string().min(1).max(1024), name, 'VGrid name');
      const rootId = `vgrid:${vgrid}`;
      const prefix = `${rootId}/`.replace(/[\\%_]/g, (c) => `\\${c}`);
      return list((q) => q.where((eb) => eb.or([eb('root_id', '=', rootId), eb('root_id', 'like', `${prefix}%`)])));
    },

    async update(id, changes, actor) {
      const parsed = parseInput(updateSchema, changes, 'share link changes');
      const found = await ownedRow(id, actor);
      checkFuture(parsed.expiresAt);
      const set: Partial<{ expires_at: number | null; password_hash: string | null; max_uses: number | null; updated_at: number }> = {};
      if (parsed.expiresAt !== undefined) set.expires_at = parsed.expiresAt;
      if (parsed.maxUses !== undefined) set.max_uses = parsed.maxUses;
      if (parsed.password !== undefined) set.password_hash = parsed.password === null ? null : await hashPassword(parsed.password, options.hashOptions);
      // Always move updated_at (and never back): live views see the change in the generation.
      set.updated_at = Math.max(now(), Number(found.updated_at) + 1);
      await db.updateTable('share_links').set(set).where('id', '=', found.id).execute();
      const link = await store.get(found.id);
      await audit(actorName(actor), 'share-link.update', link, actor.address, {
        ...(parsed.expiresAt === undefined ? {} : { expiresAt: parsed.expiresAt }),
        ...(parsed.maxUses === undefined ? {} : { maxUses: parsed.maxUses }),
        ...(parsed.password === undefined ? {} : { password: parsed.password !== null }),
      });
      return link;
    },

    async revoke(id, actor) {
      const found = await ownedRow(id, actor);
      if (found.revoked_at !== null) return linkFromRow(found);
      const at = now();
      await db
        .updateTable('share_links')
        .set({ revoked_at: at, updated_at: Math.max(at, Number(found.updated_at) + 1) })
        .where('id', '=', found.id)
        .where('revoked_at', 'is', null)
        .execute();
      const link = await store.get(found.id);
      await audit(actorName(actor), 'share-link.revoke', link, actor.address, { path: link.viewPath });
      return link;
    },

    async invite(id, emails, actor) {
      const found = await ownedRow(id, actor);
      const message = parseInput(messageSchema, actor.message, 'invitation message') ?? '';
      if (!Array.isArray(emails) || emails.length === 0 || emails.length > MAX_INVITES) throw new InvalidInputError(`Invalid invitation: give 1 to ${MAX_INVITES} email addresses.`);
      const to: string[] = [];
      for (const [i, raw] of emails.entries()) {
        const email = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
        const problem = checkEmailAddress(email);
        if (problem !== undefined) throw new InvalidInputError(`Invalid invitation: emails.${i} ${problem}.`);
        if (!to.includes(email)) to.push(email);
      }
      const link = linkFromRow(found);
      if (shareLinkState(link, now()) !== 'active') throw new AuthError(link.revokedAt !== null ? 'MIG_E_SHARE_LINK_REVOKED' : link.expiresAt !== null && link.expiresAt <= now() ? 'MIG_E_SHARE_LINK_EXPIRED' : 'MIG_E_SHARE_LINK_USED_UP', 'This share link can no longer be used; make a new one to invite people.');
      if (options.notifier === undefined) throw new PolicyError('MIG_E_SHARE_LINK_NOT_ALLOWED', 'This site cannot send email invitations.');
      const owner = await db.selectFrom('users').select(['full_name', 'email']).where('id', '=', link.ownerId).executeTakeFirst();
      const url = `${(options.publicUrl ?? '').replace(/\/+$/, '')}/share/${link.id}`;
      const lines = [
        'Hi,',
        '',
        `${owner?.full_name ?? 'A user'} (${owner?.email ?? 'unknown'}) has shared ${options.siteTitle ?? 'MiG'} data with you (${link.kind === 'file' ? 'a file' : 'a folder'}, ${{ ro: 'read-only', wo: 'upload only', rw: 'read and write' }[link.mode]}):`,
        url,
        '',
        `You can also open it over SFTP, FTPS or WebDAVS with the user name ${link.id}${link.hasPassword ? ' and the password you were given' : ' and the same text as password'}.`,
        ...(link.expiresAt === null ? [] : [`The link works until ${new Date(link.expiresAt).toISOString()}.`]),
        ...(message.trim() === '' ? [] : ['', '--- Message from the sender ---', message]),
      ];
      await options.notifier.send({ to, subject: `${options.siteTitle ?? 'MiG'} share link from ${owner?.full_name ?? 'a user'}`, text: lines.join('\n'), topic: 'share-link-invite' });
      const merged = [...link.invites, ...to.filter((e) => !link.invites.includes(e))];
      await db.updateTable('share_links').set({ invites: JSON.stringify(merged) }).where('id', '=', link.id).execute();
      await audit(actorName(actor), 'share-link.invite', link, actor.address, { count: to.length });
      return store.get(link.id);
    },

    async recordUse(id) {
      const at = now();
      const result = await db
        .updateTable('share_links')
        .set((eb) => ({ uses: eb('uses', '+', 1) }))
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]))
        .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) return;
      const found = await row(id);
      if (found === undefined) throw new NotFoundError('MIG_E_SHARE_LINK_NOT_FOUND', 'There is no such share link; check the id.');
      const state = shareLinkState(linkFromRow(found), at);
      if (state === 'revoked') throw new AuthError('MIG_E_SHARE_LINK_REVOKED', 'This share link was revoked by its owner.');
      if (state === 'expired') throw new AuthError('MIG_E_SHARE_LINK_EXPIRED', 'This share link has expired; ask its owner for a new one.');
      throw new AuthError('MIG_E_SHARE_LINK_USED_UP', 'This share link has been used as often as its owner allowed; ask them for a new one.');
    },

    async findForLogin(id) {
      if (typeof id !== 'string' || !isShareIdShape(id)) return undefined;
      const found = (await db
        .selectFrom('share_links')
        .innerJoin('users', 'users.id', 'share_links.owner_id')
        .selectAll('share_links')
        .select(['users.status as owner_status', 'users.expires_at as owner_expires_at'])
        .where('share_links.id', '=', id)
        .executeTakeFirst()) as (ShareLinkRow & { owner_status: string; owner_expires_at: number | string | bigint | null }) | undefined;
      if (found === undefined) return undefined;
      const ownerExpires = numOrNull(found.owner_expires_at);
      const ownerActive = (found.owner_status === 'active' || found.owner_status === 'temporal') && (ownerExpires === null || ownerExpires > now());
      return { link: linkFromRow(found), passwordHash: found.password_hash, ownerActive };
    },

    async generation(id) {
      const found = await store.findForLogin(id);
      if (found === undefined) return 'gone';
      const { link, ownerActive } = found;
      const vgridGen = link.rootId.startsWith('vgrid:') ? ((await vgridRules()?.changeGeneration?.(link.ownerId)) ?? '') : '';
      // The state is part of it, so passing the expiry time changes the generation by itself.
      return [link.updatedAt, link.revokedAt ?? '', link.expiresAt ?? '', shareLinkState({ ...link, uses: 0 }, now()), ownerActive ? 'owner-ok' : 'owner-off', vgridGen].join('|');
    },

    stateOf(link) {
      return shareLinkState(link, now());
    },
  };
  return store;
}

/** Throws `MIG_E_PERMISSION_DENIED` for a share-link principal whose link cannot be used. */
export function shareLinkUnavailable(): FileAccessError {
  return new FileAccessError('MIG_E_PERMISSION_DENIED', 'This share link is not available (unknown, revoked or expired); ask its owner for a new one.');
}
