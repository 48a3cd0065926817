/**
 * Shared fixtures of the auth tests (not a test file itself): account rows, a defender config,
 * temporary folders and SSH keys made with the real `ssh-keygen`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { DefenderSection } from '../src/config/site-config.js';
import type { Database } from '../src/db/schema.js';

/** Inserts a minimal account row (the auth stores reference users.id). */
export async function insertUser(db: Kysely<Database>, id: string, overrides: Partial<{ status: string; expires_at: number | null; email: string }> = {}): Promise<void> {
  const now = Date.now();
  await db
    .insertInto('users')
    .values({
      id,
      dn: `/C=DK/O=Test/CN=${id}/emailAddress=${id}@example.org`,
      email: overrides.email ?? `${id}@example.org`,
      full_name: id,
      organization: 'Test',
      organizational_unit: '',
      locality: '',
      state: '',
      country: 'DK',
      status: overrides.status ?? 'active',
      expires_at: overrides.expires_at ?? null,
      created_at: now,
      renewed_at: null,
      updated_at: now,
      roles: '[]',
      comment: '',
      accepted_terms_at: null,
      password_hash: null,
      settings: '{}',
    })
    .execute();
}

/** A defender config with small numbers, easy to reason about in tests. */
export function defenderConfig(overrides: Partial<DefenderSection> = {}): DefenderSection {
  return {
    enabled: true,
    window_seconds: 120,
    max_user_failures: 3,
    max_address_failures: 5,
    ban_seconds: 60,
    ban_growth: 2,
    max_ban_seconds: 600,
    allow_list: [],
    ...overrides,
  };
}

/** A mutable test clock. */
export function testClock(start = Date.UTC(2026, 10, 28, 4, 30, 0)): { now: () => number; advance(ms: number): void; set(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}

/** A temporary folder, removed by the returned function. */
export async function tempDir(prefix = 'mig-auth-'): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A key pair made by ssh-keygen: the public line, the private PEM, and ssh-keygen's own fingerprint. */
export interface GeneratedKey {
  readonly publicLine: string;
  readonly privateText: string;
  readonly fingerprint: string;
  readonly bits: number;
}

/** Runs `ssh-keygen -t <type> [-b bits]` in `dir` and reads the result. */
export async function sshKeygen(dir: string, name: string, type: string, bits?: number): Promise<GeneratedKey> {
  const file = join(dir, name);
  const args = ['-q', '-t', type, '-N', '', '-C', `${name}@test`, '-f', file];
  if (bits !== undefined) args.push('-b', String(bits));
  execFileSync('ssh-keygen', args);
  const listed = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).trim().split(/\s+/);
  return {
    publicLine: (await readFile(`${file}.pub`, 'utf8')).trim(),
    privateText: await readFile(file, 'utf8'),
    fingerprint: listed[1] ?? '',
    bits: Number(listed[0]),
  };
}
