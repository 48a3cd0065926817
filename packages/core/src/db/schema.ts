import type { ColumnType, Generated } from 'kysely';

/**
 * The site database: one schema for SQLite and PostgreSQL, created by the ordered migration list in
 * `migrations.ts`. Conventions that keep both dialects alike:
 * - times are epoch **milliseconds** in `bigint` columns (read back as JS numbers on both dialects);
 * - booleans are integers 0/1;
 * - lists and small records are JSON text;
 * - ids are random text chosen by the core, except the append-only logs' sequence numbers.
 */
export interface Database {
  users: UsersTable;
  user_aliases: UserAliasesTable;
  signup_requests: SignupRequestsTable;
  ssh_keys: SshKeysTable;
  api_tokens: ApiTokensTable;
  totp_secrets: TotpSecretsTable;
  auth_failures: AuthFailuresTable;
  auth_bans: AuthBansTable;
  audit_log: AuditLogTable;
  web_sessions: WebSessionsTable;
  password_resets: PasswordResetsTable;
  upload_sessions: UploadSessionsTable;
  dav_properties: DavPropertiesTable;
  dav_locks: DavLocksTable;
  jobs: JobsTable;
  job_events: JobEventsTable;
  counters: CountersTable;
  resources: ResourcesTable;
  runtime_envs: RuntimeEnvsTable;
  share_links: ShareLinksTable;
  vgrids: VgridsTable;
  vgrid_lineage: VgridLineageTable;
  vgrid_participants: VgridParticipantsTable;
  vgrid_resources: VgridResourcesTable;
  vgrid_requests: VgridRequestsTable;
}

/** Epoch milliseconds, stored as bigint. */
export type Millis = number;

/** The identity columns accounts and sign-up requests share. */
export interface IdentityColumnsTable {
  /** Canonical MiG distinguished name (unique among accounts). */
  dn: string;
  /** Lower-cased email address (unique among accounts). */
  email: string;
  full_name: string;
  organization: string;
  organizational_unit: string;
  locality: string;
  state: string;
  country: string;
}

/** One account. See `users/user-record.ts` for the typed record built from a row. */
export interface UsersTable extends IdentityColumnsTable {
  /** Stable random id (64 chars `[A-Za-z0-9]`, as MiG's unique_id); also the home folder's name. */
  id: string;
  /** `active` | `temporal` | `suspended` | `retired`. */
  status: string;
  /** When access ends; null = never. */
  expires_at: Millis | null;
  created_at: Millis;
  renewed_at: Millis | null;
  updated_at: Millis;
  /** JSON array of role names, e.g. `["admin"]`. */
  roles: string;
  comment: string;
  accepted_terms_at: Millis | null;
  /** Password hash in our format or MiG's `PBKDF2$…`; null = no password login. */
  password_hash: string | null;
  /** JSON object of per-protocol switches and other small settings. */
  settings: string;
}

/** Login aliases (email, short id, IdP subject …), unique across the site. */
export interface UserAliasesTable {
  alias: string;
  user_id: string;
  /** What kind of alias: `email`, `short_id`, `subject`, … */
  kind: string;
}

/** Sign-up requests waiting for an admin. */
export interface SignupRequestsTable extends IdentityColumnsTable {
  id: string;
  comment: string;
  password_hash: string | null;
  /** `pending` | `accepted` | `rejected`. */
  status: string;
  created_at: Millis;
  decided_at: Millis | null;
  decided_by: string | null;
  reason: string | null;
  /** The account created when the request was accepted. */
  user_id: string | null;
  accepted_terms_at: Millis | null;
}

/** SSH public keys a user may log in with. */
export interface SshKeysTable {
  id: string;
  user_id: string;
  /** `SHA256:…` fingerprint, unique per user. */
  fingerprint: string;
  algorithm: string;
  bits: number;
  public_key: string;
  comment: string;
  created_at: Millis;
  last_used_at: Millis | null;
}

/** API tokens for scripts; only a hash of the secret is kept. */
export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  /** SHA-256 hex of the token secret. Unique. */
  token_hash: string;
  /** JSON array of scopes. */
  scopes: string;
  created_at: Millis;
  expires_at: Millis | null;
  last_used_at: Millis | null;
  revoked_at: Millis | null;
}

/** TOTP second factors. */
export interface TotpSecretsTable {
  user_id: string;
  /** Base32 secret. */
  secret: string;
  /** 0 while being set up, 1 once confirmed with a first code. */
  enabled: number;
  /** The last accepted time step, so a code can't be replayed. */
  last_step: number;
  /** JSON array of hashed single-use recovery codes. */
  recovery_codes: string;
  created_at: Millis;
}

/** Failed authentication attempts inside the defender's window. */
export interface AuthFailuresTable {
  id: Generated<number>;
  address: string;
  username: string;
  protocol: string;
  /** Hash of the failed secret, so a client's retry of the same secret counts once. */
  secret_hash: string;
  at: Millis;
}

/** Active and past bans, by subject (`addr:<ip>` or `user:<name>`). */
export interface AuthBansTable {
  subject: string;
  until: Millis;
  /** How many times this subject has been banned (penalties grow with it). */
  level: number;
  reason: string;
  updated_at: Millis;
}

/** Security-relevant actions, append-only. */
export interface AuditLogTable {
  id: Generated<number>;
  at: Millis;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  address: string | null;
  /** JSON object. */
  details: string;
}

/** Web sign-in sessions (migration 0002). */
export interface WebSessionsTable {
  /** sha256 hex of the cookie's random session id. */
  id_hash: string;
  /** Signed-in user, or null for an anonymous session (e.g. mid-way through sign-in). */
  user_id: string | null;
  created_at: Millis;
  last_seen_at: Millis;
  expires_at: Millis;
  address: string | null;
  user_agent: string | null;
  /** JSON object: the session's small state (CSRF secret, pending second factor, OIDC state). */
  data: string;
}

/** Single-use password reset tokens (migration 0002). */
export interface PasswordResetsTable {
  /** sha256 hex of the emailed token. */
  token_hash: string;
  user_id: string;
  created_at: Millis;
  expires_at: Millis;
  used_at: Millis | null;
}

/** Resumable uploads in progress (migration 0002). */
export interface UploadSessionsTable {
  id: string;
  /** Who may continue it, e.g. `user:<id>`. */
  owner: string;
  /** Target path in the owner's view. */
  path: string;
  size: number;
  received: number;
  /** 1 = replace an existing file at the end. */
  overwrite: number;
  /** The hidden temporary file name in the target's folder. */
  temp_name: string;
  created_at: Millis;
  updated_at: Millis;
  expires_at: Millis;
}

/** WebDAV dead properties (migration 0002). */
export interface DavPropertiesTable {
  /** Stable resource key: root id, `:`, path inside the root. */
  resource: string;
  /** Clark notation `{namespace}local`. */
  name: string;
  /** The property's XML content. */
  value: string;
}

/** WebDAV locks (migration 0002). */
export interface DavLocksTable {
  /** `opaquelocktoken:<uuid>`. */
  token: string;
  resource: string;
  /** `exclusive` or `shared`. */
  scope: string;
  /** `0` or `infinity`. */
  depth: string;
  /** The client's `<D:owner>` XML. */
  owner: string;
  /** Who took the lock, e.g. `user:<id>`. */
  principal: string;
  created_at: Millis;
  expires_at: Millis;
}

/** Grid jobs (migration 0003). See `jobs/job-record.ts` for the typed record built from a row. */
export interface JobsTable {
  /** MiG job id, `<counter>_<month>_<day>_<year>__<hour>_<min>_<sec>_<server id>` (GMT). */
  id: string;
  /** The counter part of the id: the order jobs were received in (unique). */
  seq: number;
  /** The owner's stable user id. */
  owner_id: string;
  /** The job's JOBNAME (`''` when none). */
  name: string;
  /** One of MiG's job states (`QUEUED`, `EXECUTING`, …). */
  state: string;
  /** The validated job description in its JSON form (`jobSpecToJson`). */
  spec: string;
  /** The mRSL text as submitted, when the job came as text. */
  mrsl: string | null;
  /** Executions that ended without the job finishing (timeouts, dead resources). */
  retry_count: number;
  /** Grows by one with every change of the row: the compare-and-set token. */
  version: number;
  /** sha256 hex of the job's 256-bit session id while it executes; never the id itself. */
  session_id_hash: string | null;
  /** The resource and execution unit the job was last handed to. */
  resource_id: string | null;
  unit_name: string | null;
  received_at: Millis;
  /** When the job last entered the queue. */
  queued_at: Millis | null;
  /** When the job was last handed to a resource. */
  executing_at: Millis | null;
  /** When the job reached a final state. */
  finished_at: Millis | null;
  updated_at: Millis;
  /** Why the job failed (or was requeued last). */
  failure_message: string | null;
  /** JSON of the VERIFYFILES result (`JobVerification`), once checked. */
  verified: string | null;
  verified_at: Millis | null;
}

/** Every state change of every job (migration 0003), append-only. */
export interface JobEventsTable {
  id: Generated<number>;
  job_id: string;
  at: Millis;
  /** `null` for the event that created the job. */
  from_state: string | null;
  to_state: string;
  /** Who made the change, e.g. `user:<id>`, `admin:local`, `grid_script`. */
  actor: string;
  /** JSON object: resource, unit, reason, retry count … */
  detail: string;
}

/** Named counters bumped inside the transaction that uses them (migration 0003), e.g. `job_id`. */
export interface CountersTable {
  name: string;
  value: number;
}

/** A row value type helper: what a `SELECT *` of a table gives. */
export type Row<T> = { [K in keyof T]: T[K] extends ColumnType<infer S, unknown, unknown> ? S : T[K] };

/** One registered resource (see `resources/resource-store.ts`). */
export interface ResourcesTable {
  /** The resource's name (MiG's unique resource name): `[a-z0-9][a-z0-9.-]{0,62}`. */
  id: string;
  owner_id: string;
  /** `active` (given work) or `paused`. */
  status: string;
  /** `local` or `slurm`. */
  executor: string;
  /** The MiG resource keywords as JSON. */
  config: string;
  /** SHA-256 (hex) of the agent token's secret. */
  token_hash: string;
  created_at: Millis;
  updated_at: Millis;
  last_seen_at: Millis | null;
}

/** One runtime environment published by an admin (see `runtime-envs/runtime-env-store.ts`). */
export interface RuntimeEnvsTable {
  /** The upper-case name (MiG's RENAME), e.g. `POVRAY-3.6`. */
  name: string;
  /** The definition in its JSON form (`runtimeEnvironmentToJson`). */
  definition: string;
  /** The admin user who published it, or null for the site's operator (the local CLI). */
  created_by: string | null;
  created_at: Millis;
  updated_at: Millis;
}

/** One share link (migration 0008; see `share-links/share-link-store.ts`). */
export interface ShareLinksTable {
  /** The secret id (its first character encodes the mode, as MiG's do). */
  id: string;
  owner_id: string;
  /** `ro`, `wo` or `rw`. */
  mode: string;
  /** `file` or `folder`. */
  kind: string;
  /** The owner's root the target lies in: `home:<user id>` or `vgrid:<name>`. */
  root_id: string;
  /** The target relative to that root (`''` for the root itself, else `a/b`), canonical. */
  rel_path: string;
  /** The target as the owner's view names it (`/a/b`). */
  view_path: string;
  created_at: Millis;
  updated_at: Millis;
  expires_at: Millis | null;
  /** scrypt hash of the link's own password; null = the id is the password. */
  password_hash: string | null;
  max_uses: number | null;
  uses: number;
  revoked_at: Millis | null;
  /** Invited email addresses, a JSON array. */
  invites: string;
}

/** One VGrid (migration 0007; see `vgrids/vgrid-store.ts`). */
export interface VgridsTable {
  /** The full hierarchical name, e.g. `Physics/Optics`. */
  name: string;
  /** The parent's name, or null for a top-level VGrid. */
  parent: string | null;
  /** The VGrid's settings as JSON (`VgridSettings`). */
  settings: string;
  created_at: Millis;
  /** Who created it (`user:<id>`, `admin:local`). */
  created_by: string;
  updated_at: Millis;
}

/** The VGrid closure table: each VGrid with itself (depth 0) and every ancestor (migration 0007). */
export interface VgridLineageTable {
  ancestor: string;
  vgrid: string;
  /** How many levels `ancestor` is above `vgrid`. */
  depth: number;
}

/** A direct owner or member of a VGrid (migration 0007). */
export interface VgridParticipantsTable {
  vgrid: string;
  user_id: string;
  /** `owner` or `member`. */
  role: string;
  added_at: Millis;
  added_by: string;
}

/** A resource allowed to run a VGrid's jobs (migration 0007). */
export interface VgridResourcesTable {
  vgrid: string;
  resource_id: string;
  added_at: Millis;
  added_by: string;
}

/** A request to become member or owner of a VGrid (migration 0007). */
export interface VgridRequestsTable {
  id: string;
  vgrid: string;
  user_id: string;
  /** `member` or `owner`. */
  kind: string;
  message: string;
  /** `pending`, `accepted`, `rejected` or `withdrawn`. */
  status: string;
  /** 1 while pending, null once decided (one pending request per user, VGrid and kind). */
  open: number | null;
  created_at: Millis;
  decided_at: Millis | null;
  decided_by: string | null;
}
