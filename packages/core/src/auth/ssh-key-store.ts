import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { ConflictError, InvalidInputError, NotFoundError, PolicyError } from '../errors.js';
import { DEFAULT_MIN_RSA_BITS, MAX_SSH_KEY_LINE_BYTES, parseSshPublicKey, sshKeyFingerprint } from './ssh-public-key.js';
import { isUniqueViolation, parseUserId, requireUser, systemClock } from './store-support.js';
import type { Clock } from './store-support.js';

/** An SSH public key registered to an account. */
export interface SshKeyRecord {
  readonly id: string;
  readonly userId: string;
  /** `SHA256:…` fingerprint, unique per user. */
  readonly fingerprint: string;
  readonly algorithm: string;
  readonly bits: number;
  /** `<algorithm> <base64>`, without comment. */
  readonly publicKey: string;
  readonly comment: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/** Options for {@link createSshKeyStore}. */
export interface SshKeyStoreOptions {
  /** Smallest RSA modulus accepted (`[security] ssh_key_min_rsa_bits`); default 2048. */
  readonly minRsaBits?: number;
  /** Most keys one account may have; default 100. */
  readonly maxKeysPerUser?: number;
  /** Clock for tests. */
  readonly now?: Clock;
}

/** The SSH keys users log in with over SFTP. */
export interface SshKeyStore {
  /**
   * Vets one `authorized_keys` line (see `parseSshPublicKey`) and registers it for the user.
   * @throws PolicyError `MIG_E_SSH_KEY_INVALID` / `MIG_E_SSH_KEY_WEAK`; ConflictError
   *   `MIG_E_SSH_KEY_EXISTS` when the user has this key already; NotFoundError `MIG_E_USER_NOT_FOUND`.
   */
  add(userId: string, line: string): Promise<SshKeyRecord>;
  /** The user's keys, oldest first. */
  list(userId: string): Promise<SshKeyRecord[]>;
  /**
   * Removes one of the user's keys, named by id or fingerprint.
   * @throws NotFoundError `MIG_E_SSH_KEY_NOT_FOUND` when the user has no such key.
   */
  remove(userId: string, idOrFingerprint: string): Promise<void>;
  /**
   * Finds the user's registered key equal to a presented key blob (as an SSH client sends it) and
   * marks it used. Returns `undefined` when the user has no such key. This only says the key is
   * registered: checking the client's signature is the SFTP server's job.
   */
  findUserKey(userId: string, publicKeyBlob: Buffer): Promise<SshKeyRecord | undefined>;
}

type Row = {
  id: string;
  user_id: string;
  fingerprint: string;
  algorithm: string;
  bits: number;
  public_key: string;
  comment: string;
  created_at: number;
  last_used_at: number | null;
};

function toRecord(row: Row): SshKeyRecord {
  return {
    id: row.id,
    userId: row.user_id,
    fingerprint: row.fingerprint,
    algorithm: row.algorithm,
    bits: Number(row.bits),
    publicKey: row.public_key,
    comment: row.comment,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

/**
 * Creates the SSH key store over the site database.
 *
 * @example
 * ```ts
 * const keys = createSshKeyStore(db, { minRsaBits: config.security.ssh_key_min_rsa_bits });
 * await keys.add(user.id, 'ssh-ed25519 AAAAC3Nz… alice@laptop');
 * const match = await keys.findUserKey(user.id, ctx.key.data); // in the SFTP server
 * ```
 */
export function createSshKeyStore(db: Kysely<Database>, options: SshKeyStoreOptions = {}): SshKeyStore {
  const minRsaBits = options.minRsaBits ?? DEFAULT_MIN_RSA_BITS;
  const maxKeys = options.maxKeysPerUser ?? 100;
  const now = options.now ?? systemClock;

  const exists = (): ConflictError => new ConflictError('MIG_E_SSH_KEY_EXISTS', 'This SSH key is registered for the account already.');

  return {
    async add(userIdInput, line) {
      const userId = parseUserId(userIdInput);
      const key = parseSshPublicKey(line, { minRsaBits });
      await requireUser(db, userId);
      const existing = await db
        .selectFrom('ssh_keys')
        .select(['fingerprint'])
        .where('user_id', '=', userId)
        .execute();
      if (existing.some((r) => r.fingerprint === key.fingerprint)) throw exists();
      if (existing.length >= maxKeys) {
        throw new PolicyError('MIG_E_SSH_KEY_INVALID', `An account may have at most ${maxKeys} SSH keys; remove keys you no longer use first.`, {
          details: { reason: 'too-many-keys', max: maxKeys },
        });
      }
      const row: Row = {
        id: randomBytes(12).toString('hex'),
        user_id: userId,
        fingerprint: key.fingerprint,
        algorithm: key.algorithm,
        bits: key.bits,
        public_key: key.publicKey,
        comment: key.comment,
        created_at: now(),
        last_used_at: null,
      };
      try {
        await db.insertInto('ssh_keys').values(row).execute();
      } catch (err) {
        // Two requests adding the same key at once: the unique constraint decides.
        if (isUniqueViolation(err)) throw exists();
        throw err;
      }
      return toRecord(row);
    },

    async list(userIdInput) {
      const userId = parseUserId(userIdInput);
      const rows = await db.selectFrom('ssh_keys').selectAll().where('user_id', '=', userId).orderBy('created_at').orderBy('id').execute();
      return rows.map(toRecord);
    },

    async remove(userIdInput, idOrFingerprint) {
      const userId = parseUserId(userIdInput);
      if (typeof idOrFingerprint !== 'string' || idOrFingerprint.length === 0 || idOrFingerprint.length > 128) {
        throw new InvalidInputError('Name the SSH key to remove by its id or SHA256 fingerprint.', { details: { field: 'key' } });
      }
      const column = idOrFingerprint.startsWith('SHA256:') ? 'fingerprint' : 'id';
      const result = await db.deleteFrom('ssh_keys').where('user_id', '=', userId).where(column, '=', idOrFingerprint).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) {
        throw new NotFoundError('MIG_E_SSH_KEY_NOT_FOUND', 'The account has no SSH key with this id or fingerprint.');
      }
    },

    async findUserKey(userIdInput, publicKeyBlob) {
      const userId = parseUserId(userIdInput);
      if (!Buffer.isBuffer(publicKeyBlob) || publicKeyBlob.length === 0 || publicKeyBlob.length > MAX_SSH_KEY_LINE_BYTES) {
        throw new InvalidInputError('The presented SSH key must be a non-empty key blob (Buffer) of at most 16 KiB.', { details: { field: 'publicKeyBlob' } });
      }
      const fingerprint = sshKeyFingerprint(publicKeyBlob);
      const row = await db.selectFrom('ssh_keys').selectAll().where('user_id', '=', userId).where('fingerprint', '=', fingerprint).executeTakeFirst();
      if (row === undefined) return undefined;
      // The fingerprint is a SHA-256 of the blob; comparing the blobs too costs nothing and removes all doubt.
      const stored = Buffer.from(row.public_key.split(' ')[1] ?? '', 'base64');
      if (!stored.equals(publicKeyBlob)) return undefined;
      const at = now();
      await db.updateTable('ssh_keys').set({ last_used_at: at }).where('id', '=', row.id).execute();
      return toRecord({ ...row, last_used_at: at });
    },
  };
}
