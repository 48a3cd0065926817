import type { UserRecord } from '@migrid/core';
import { println, type CliIo } from './io.js';

function day(ms: number | null): string {
  return ms === null ? 'never' : new Date(ms).toISOString().slice(0, 10);
}

/** The JSON form of a user for `--json` output (never any secret). */
export function userJson(user: UserRecord): Record<string, unknown> {
  return {
    id: user.id,
    email: user.email,
    dn: user.dn,
    fullName: user.fullName,
    organization: user.organization,
    organizationalUnit: user.organizationalUnit,
    locality: user.locality,
    state: user.state,
    country: user.country,
    status: user.status,
    roles: user.roles,
    aliases: user.aliases,
    comment: user.comment,
    hasPassword: user.hasPassword,
    expiresAt: user.expiresAt === null ? null : new Date(user.expiresAt).toISOString(),
    createdAt: new Date(user.createdAt).toISOString(),
    renewedAt: user.renewedAt === null ? null : new Date(user.renewedAt).toISOString(),
  };
}

/** Prints one user as `field: value` lines. */
export function printUser(io: CliIo, user: UserRecord): void {
  const rows: [string, string][] = [
    ['id', user.id],
    ['email', user.email],
    ['dn', user.dn],
    ['name', user.fullName],
    ['organization', user.organization],
    ['country', user.country],
    ['state', user.state === '' ? '-' : user.state],
    ['status', user.status],
    ['roles', user.roles.length === 0 ? '-' : user.roles.join(', ')],
    ['aliases', user.aliases.join(', ')],
    ['expires', day(user.expiresAt)],
    ['created', day(user.createdAt)],
    ['renewed', day(user.renewedAt)],
    ['password', user.hasPassword ? 'set' : 'none'],
    ['comment', user.comment === '' ? '-' : user.comment],
  ];
  for (const [k, v] of rows) println(io, `${`${k}:`.padEnd(14)}${v}`);
}

/** Prints users as an aligned table. */
export function printUserTable(io: CliIo, users: readonly UserRecord[]): void {
  const header = ['EMAIL', 'NAME', 'STATUS', 'EXPIRES', 'ROLES'];
  const rows = users.map((u) => [u.email, u.fullName, u.status, day(u.expiresAt), u.roles.join(',')]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  println(io, line(header));
  for (const r of rows) println(io, line(r));
  println(io, `${users.length} user${users.length === 1 ? '' : 's'}`);
}
