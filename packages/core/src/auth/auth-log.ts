/**
 * The auth log: one line per authentication attempt and per ban, in a stable text format that
 * fail2ban and grep can read:
 *
 * ```text
 * 2026-11-28T04:30:00.123Z mig[4242]: auth failure protocol=sftp method=password user="alice@example.org" address=203.0.113.9 reason=wrong-credentials
 * 2026-11-28T04:30:00.123Z mig[4242]: auth success protocol=sftp method=publickey user="alice@example.org" address=203.0.113.9 reason=ok
 * 2026-11-28T04:30:01.000Z mig[4242]: auth banned subject=address address=203.0.113.9 until=2026-11-28T04:35:01.000Z level=1 reason=too-many-failures
 * 2026-11-28T04:30:01.000Z mig[4242]: auth banned subject=user user="alice@example.org" until=2026-11-28T04:35:01.000Z level=1 reason=repeated-bans
 * ```
 *
 * The user name is the only free text. It is quoted, with `\` and `"` escaped and control and line
 * separator characters removed, so a hostile user name can neither start a new line nor forge
 * another `address=` outside its quotes. Every other field is validated to a tight pattern.
 * @packageDocumentation
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidInputError, MigError } from '../errors.js';
import { requireIpAddress } from './ip-address.js';
import { systemClock } from './store-support.js';
import type { Clock } from './store-support.js';

/** One authentication attempt. */
export interface AuthAttempt {
  readonly outcome: 'success' | 'failure';
  /** `sftp`, `ftps`, `webdavs`, `https`, … (lower-case letters, digits, `-`). */
  readonly protocol: string;
  /** `password`, `publickey`, `token`, `totp`, `recovery-code`, … */
  readonly method: string;
  /** The user name as the client sent it (logged escaped). */
  readonly username: string;
  /** The client's IP address. */
  readonly address: string;
  /** Why, as a short word: `ok`, `wrong-credentials`, `banned`, `account-disabled`, … */
  readonly reason: string;
}

/** One ban imposed by the defender. */
export interface AuthBanEvent {
  readonly subject: 'address' | 'user';
  /** The banned address (for address bans). */
  readonly address?: string;
  /** The banned user name (for user bans). */
  readonly username?: string;
  /** Epoch ms when the ban ends. */
  readonly until: number;
  /** How many times this subject has been banned. */
  readonly level: number;
  readonly reason: string;
}

/** Writes the auth log. */
export interface AuthLog {
  /** Appends one attempt line. */
  attempt(entry: AuthAttempt): Promise<void>;
  /** Appends one `banned` line. */
  banned(entry: AuthBanEvent): Promise<void>;
  /** Waits until every line so far is written. */
  flush(): Promise<void>;
  /** Writes the pending lines; later writes are refused (`MIG_E_INTERNAL`). */
  close(): Promise<void>;
}

/** Options for {@link createAuthLog}. */
export interface AuthLogOptions {
  /** Clock for tests. */
  readonly now?: Clock;
}

const WORD = /^[a-z0-9][a-z0-9-]{0,31}$/;
const MAX_USERNAME_CHARS = 256;

/**
 * Makes a user name safe inside a quoted log field: removes control characters (C0, DEL, C1),
 * Unicode line/paragraph separators and bidi/format controls, escapes `\` and `"`, and truncates.
 */
export function quoteLogUsername(username: string): string {
  const text = typeof username === 'string' ? username : String(username);
  const cleaned = text.replace(/[\p{Cc}\p{Cf}\u2028\u2029]/gu, '').slice(0, MAX_USERNAME_CHARS);
  return `"${cleaned.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function word(value: string, field: string): string {
  if (typeof value !== 'string' || !WORD.test(value)) {
    throw new InvalidInputError(`Auth log field ${field} must be a short lower-case word (a-z, 0-9, -).`, { details: { field } });
  }
  return value;
}

/** Formats one attempt line (without the trailing newline). Exported for tests and other sinks. */
export function formatAuthAttempt(entry: AuthAttempt, at: number, pid: number = process.pid): string {
  if (entry.outcome !== 'success' && entry.outcome !== 'failure') throw new InvalidInputError('Auth log outcome must be success or failure.', { details: { field: 'outcome' } });
  const address = requireIpAddress(entry.address);
  return (
    `${new Date(at).toISOString()} mig[${pid}]: auth ${entry.outcome} protocol=${word(entry.protocol, 'protocol')} ` +
    `method=${word(entry.method, 'method')} user=${quoteLogUsername(entry.username)} address=${address} reason=${word(entry.reason, 'reason')}`
  );
}

/** Formats one `banned` line (without the trailing newline). */
export function formatAuthBan(entry: AuthBanEvent, at: number, pid: number = process.pid): string {
  const head = `${new Date(at).toISOString()} mig[${pid}]: auth banned`;
  const tail = `until=${new Date(entry.until).toISOString()} level=${Math.trunc(entry.level)} reason=${word(entry.reason, 'reason')}`;
  if (entry.subject === 'address') return `${head} subject=address address=${requireIpAddress(entry.address ?? '')} ${tail}`;
  if (entry.subject === 'user') return `${head} subject=user user=${quoteLogUsername(entry.username ?? '')} ${tail}`;
  throw new InvalidInputError('Auth ban subject must be address or user.', { details: { field: 'subject' } });
}

/**
 * Opens an auth log that appends to `filePath` (created with its folder if missing). Each line is
 * appended with its own open/append, so log rotation (rename + new file) needs no signal, and
 * lines from several processes do not interleave.
 *
 * @example
 * ```ts
 * const authLog = createAuthLog(join(stateDir, 'log', 'auth.log'));
 * await authLog.attempt({ outcome: 'failure', protocol: 'sftp', method: 'password', username, address, reason: 'wrong-credentials' });
 * ```
 */
export function createAuthLog(filePath: string, options: AuthLogOptions = {}): AuthLog {
  if (typeof filePath !== 'string' || filePath.length === 0 || filePath.length > 4096 || filePath.includes('\0')) {
    throw new InvalidInputError('The auth log path must be a non-empty file path.', { details: { field: 'filePath' } });
  }
  const now = options.now ?? systemClock;
  let madeDir = false;
  // One chain keeps this process's lines in order; a failed write is reported to its caller only.
  let queue: Promise<void> = Promise.resolve();

  let closed = false;

  const write = (line: string): Promise<void> => {
    if (closed) return Promise.reject(new MigError('MIG_E_INTERNAL', 'The auth log is closed; the site is shutting down.'));
    const next = queue.then(async () => {
      if (!madeDir) {
        await mkdir(dirname(filePath), { recursive: true, mode: 0o750 });
        madeDir = true;
      }
      await appendFile(filePath, `${line}\n`, { encoding: 'utf8', mode: 0o640 });
    });
    queue = next.catch(() => undefined);
    return next;
  };

  return {
    // async, so a malformed entry is a rejected promise like any write failure, never a synchronous throw.
    attempt: async (entry) => write(formatAuthAttempt(entry, now())),
    banned: async (entry) => write(formatAuthBan(entry, now())),
    flush: () => queue,
    async close() {
      closed = true;
      await queue;
    },
  };
}

/**
 * A fail2ban `failregex` for this format (with fail2ban's `<HOST>` tag). fail2ban cuts the
 * timestamp off before matching, so the expression starts at `mig[`. It is anchored at the line
 * end and walks the quoted, escaped user field, so only the real address can match, whatever the
 * user name contains. Use it with `datepattern = {^LN-BEG}ISO8601`.
 */
export const FAIL2BAN_FAILREGEX = String.raw`mig\[\d+\]: auth failure protocol=\S+ method=\S+ user="(?:[^"\\]|\\.)*" address=<HOST> reason=\S+$`;
