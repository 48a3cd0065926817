/**
 * The inputs of the user and sign-up stores, their schemas, and the one function that turns raw
 * input into canonical, validated fields, naming every bad field in one {@link InvalidInputError}.
 * @packageDocumentation
 */
import { z } from 'zod';
import { canonicaliseDnParts, checkDnParts, type FieldProblem } from '../identity/canonical-dn.js';
import { type DnParts, formatDn } from '../identity/distinguished-name.js';
import { checkComment } from '../identity/identity-fields.js';
import type { IdentityColumnsTable } from '../db/schema.js';
import { InvalidInputError, isMigError } from '../errors.js';
import { USER_PROTOCOLS, USER_STATUSES, type UserProtocol, type UserStatus } from './user-record.js';

/** The latest time JavaScript dates can hold; later expiry times are refused. */
const MAX_TIME = 8_640_000_000_000_000;
/** Longest password we even look at (the policy's own limit is 256 characters). */
const MAX_PASSWORD_INPUT = 1024;
/** Site roles: lower-case words such as `admin`, `vgrid-creator`. */
export const ROLE_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
/**
 * Extra login aliases: MiG's user-name rules (`username_charset`, 7–256 characters of letters,
 * digits and `_-@.`), lower-cased.
 */
export const ALIAS_PATTERN = /^[a-z0-9_@.-]{7,256}$/;
/** Most roles per user. */
export const MAX_ROLES = 32;
/** Most extra aliases per user. */
export const MAX_ALIASES = 16;

const protocolsSchema = z.strictObject(
  Object.fromEntries(USER_PROTOCOLS.map((p) => [p, z.boolean().optional()])) as Record<UserProtocol, z.ZodOptional<z.ZodBoolean>>,
);
const settingsSchema = z.strictObject({ protocols: protocolsSchema.optional() });
const expiresAtSchema = z.number().int().min(0).max(MAX_TIME).nullable();

const identityShape = {
  fullName: z.string(),
  organization: z.string(),
  country: z.string(),
  email: z.string(),
  state: z.string().optional(),
  organizationalUnit: z.string().optional(),
  locality: z.string().optional(),
  comment: z.string().optional(),
};

/** The identity fields, comment and password that accounts and sign-up requests are made from. */
export interface IdentityInput {
  readonly fullName: string;
  readonly organization: string;
  /** Two-letter country code. */
  readonly country: string;
  readonly email: string;
  /** Two-letter state code; empty or absent when none. */
  readonly state?: string | undefined;
  readonly organizationalUnit?: string | undefined;
  readonly locality?: string | undefined;
  readonly comment?: string | undefined;
  /** A new password (checked against the site policy, then hashed). Absent or `null`: no password login. */
  readonly password?: string | null | undefined;
}

/** What `UserStore.create` takes: the fields MiG's createuser asks for, plus admin options. */
export interface CreateUserInput extends IdentityInput {
  /** Site roles, e.g. `['admin']`. */
  readonly roles?: readonly string[] | undefined;
  /** Default `active`. */
  readonly status?: UserStatus | undefined;
  /** Explicit end of access (epoch ms; `null` = never). Not together with `validDays`. */
  readonly expiresAt?: number | null | undefined;
  /** Days of access from now; default `[accounts] valid_days`. */
  readonly validDays?: number | undefined;
  /** Extra login aliases besides the email. */
  readonly aliases?: readonly string[] | undefined;
  /** The user accepted the site's terms now. */
  readonly acceptedTerms?: boolean | undefined;
  /** Per-protocol switches; unspecified ones are on. */
  readonly settings?: { readonly protocols?: Partial<Record<UserProtocol, boolean>> | undefined } | undefined;
}

/** What `UserStore.edit` takes: any of these; absent ones stay as they are. */
export interface EditUserChanges {
  readonly fullName?: string | undefined;
  readonly organization?: string | undefined;
  readonly organizationalUnit?: string | undefined;
  readonly locality?: string | undefined;
  readonly state?: string | undefined;
  readonly country?: string | undefined;
  /** A new email: the DN and the email alias follow; the home folder does not move. */
  readonly email?: string | undefined;
  readonly comment?: string | undefined;
  /** Replaces the roles. */
  readonly roles?: readonly string[] | undefined;
  /** Replaces the extra aliases (the email alias always stays). */
  readonly aliases?: readonly string[] | undefined;
  readonly expiresAt?: number | null | undefined;
  /** `true` records acceptance of the terms now. */
  readonly acceptedTerms?: boolean | undefined;
  /** Changes some protocol switches. */
  readonly settings?: { readonly protocols?: Partial<Record<UserProtocol, boolean>> | undefined } | undefined;
}

/** What a sign-up request holds: the identity fields, an optional password and terms acceptance. */
export interface SignupInput extends IdentityInput {
  readonly acceptedTerms?: boolean | undefined;
}

/** Schema of {@link CreateUserInput}. Unknown keys are refused (a typo must not pass silently). */
export const createUserInputSchema = z.strictObject({
  ...identityShape,
  password: z.string().max(MAX_PASSWORD_INPUT).nullish(),
  roles: z.array(z.string().max(1024)).max(MAX_ROLES).optional(),
  status: z.enum(USER_STATUSES).optional(),
  expiresAt: expiresAtSchema.optional(),
  validDays: z.number().int().min(1).max(36_500).optional(),
  aliases: z.array(z.string().max(1024)).max(MAX_ALIASES).optional(),
  acceptedTerms: z.boolean().optional(),
  settings: settingsSchema.optional(),
});

/** Schema of {@link EditUserChanges}. */
export const editUserChangesSchema = z.strictObject({
  fullName: z.string().optional(),
  organization: z.string().optional(),
  organizationalUnit: z.string().optional(),
  locality: z.string().optional(),
  state: z.string().optional(),
  country: z.string().optional(),
  email: z.string().optional(),
  comment: z.string().optional(),
  roles: z.array(z.string().max(1024)).max(MAX_ROLES).optional(),
  aliases: z.array(z.string().max(1024)).max(MAX_ALIASES).optional(),
  expiresAt: expiresAtSchema.optional(),
  acceptedTerms: z.boolean().optional(),
  settings: settingsSchema.optional(),
});

/** Schema of {@link SignupInput}. */
export const signupInputSchema = z.strictObject({
  ...identityShape,
  password: z.string().max(MAX_PASSWORD_INPUT).nullish(),
  acceptedTerms: z.boolean().optional(),
});

/** Collects problems across the schema and the field checks, then throws them all at once. */
export class ProblemList {
  /** The problems found so far, in order. */
  readonly problems: FieldProblem[] = [];

  /** Records that the field at `path` is refused, and why (never the value itself). */
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** Whether a problem is recorded for `path` or a field below it. */
  has(path: string): boolean {
    return this.problems.some((p) => p.path === path || p.path.startsWith(`${path}.`));
  }

  /** Runs a zod schema; returns the data, or `undefined` after recording its issues. */
  parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> | undefined {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      this.add(issue.path.length > 0 ? issue.path.map(String).join('.') : what, issue.message);
    }
    return undefined;
  }

  /** Throws one {@link InvalidInputError} naming every problem, if there are any. */
  throwIfAny(what: string): void {
    if (this.problems.length === 0) return;
    const summary = this.problems.map((p) => `${p.path}: ${p.message}`).join('; ');
    throw new InvalidInputError(`Invalid ${what}: ${summary}.`, { details: { problems: this.problems } });
  }
}

/** The canonical identity of a user or request: its DN parts and the DN. */
export interface PreparedIdentity {
  readonly parts: DnParts;
  readonly dn: string;
}

/** The identity columns the `users` and `signup_requests` tables share. */
export type IdentityColumns = Readonly<IdentityColumnsTable>;

/** The database columns of a prepared identity. */
export function identityColumns(identity: PreparedIdentity): IdentityColumns {
  const { parts, dn } = identity;
  return {
    dn,
    email: parts.email,
    full_name: parts.fullName,
    organization: parts.organization,
    organizational_unit: parts.organizationalUnit,
    locality: parts.locality,
    state: parts.state,
    country: parts.country,
  };
}

/** The DN parts stored in a row's identity columns. */
export function partsFromColumns(row: Omit<IdentityColumns, 'dn'>): DnParts {
  return {
    country: row.country,
    state: row.state,
    locality: row.locality,
    organization: row.organization,
    organizationalUnit: row.organizational_unit,
    fullName: row.full_name,
    email: row.email,
  };
}

/**
 * Canonicalises identity fields (MiG's `canonical_user`) and checks them all; returns the parts
 * and DN when every field is fine, `undefined` after recording problems otherwise.
 */
export function prepareIdentity(raw: Partial<Record<keyof DnParts, unknown>>, problems: ProblemList): PreparedIdentity | undefined {
  return checkIdentity(canonicaliseDnParts(raw), problems);
}

/**
 * Checks parts that are already canonical, recording problems for the fields in `only` (all when
 * absent), and formats the DN. Returns `undefined` when anything was recorded.
 */
export function checkIdentity(parts: DnParts, problems: ProblemList, only?: ReadonlySet<keyof DnParts>): PreparedIdentity | undefined {
  let ok = true;
  for (const problem of checkDnParts(parts)) {
    if (only !== undefined && !only.has(problem.path as keyof DnParts)) continue;
    if (!problems.has(problem.path)) problems.add(problem.path, problem.message);
    ok = false;
  }
  if (!ok) return undefined;
  try {
    return { parts, dn: formatDn(parts) };
  } catch (err) {
    if (isMigError(err)) {
      problems.add('dn', err.message);
      return undefined;
    }
    throw err;
  }
}

/** Checks a comment, recording a problem; returns the trimmed comment. */
export function prepareComment(value: string | undefined, problems: ProblemList): string {
  const comment = (value ?? '').trim();
  const reason = checkComment(comment);
  if (reason !== undefined) problems.add('comment', reason);
  return comment;
}

/** Checks and de-duplicates roles. */
export function prepareRoles(roles: readonly string[] | undefined, problems: ProblemList): string[] {
  const out: string[] = [];
  (roles ?? []).forEach((role, i) => {
    if (!ROLE_PATTERN.test(role)) problems.add(`roles.${i}`, 'must be a lower-case word of letters, digits, "-" and "_" (at most 64)');
    else if (!out.includes(role)) out.push(role);
  });
  return out.sort();
}

/** Lower-cases, checks and de-duplicates extra aliases (dropping the email itself). */
export function prepareAliases(aliases: readonly string[] | undefined, email: string, problems: ProblemList): string[] {
  const out: string[] = [];
  (aliases ?? []).forEach((raw, i) => {
    const alias = raw.trim().toLowerCase();
    if (!ALIAS_PATTERN.test(alias)) {
      problems.add(`aliases.${i}`, 'must be 7-256 letters, digits and "_-@." (a login name)');
    } else if (alias !== email && !out.includes(alias)) {
      out.push(alias);
    }
  });
  return out;
}

// C0/C1 controls and NUL: never part of a password a person types, and a way to smuggle bytes.
const PASSWORD_CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/** Checks the shape of a new password (the policy is checked separately); `undefined` = none. */
export function preparePassword(password: string | null | undefined, problems: ProblemList): string | undefined {
  if (password === undefined || password === null) return undefined;
  if (password.length === 0) {
    problems.add('password', 'must not be empty; leave it out for an account without a password');
  } else if (PASSWORD_CONTROL.test(password)) {
    problems.add('password', 'contains a control or NUL character');
  }
  return password;
}
