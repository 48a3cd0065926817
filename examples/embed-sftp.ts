/**
 * Embedding MiG's SFTP server in your own application, over a user store of your own: the users
 * live in a Map here (think of your LDAP or your app's database), and the core still decides every
 * login (password check, brute-force defender, auth log) and every file access (each user sees only
 * their home folder as `/`). Only public APIs of `@migrid/core` and `@migrid/fileservices` are used.
 *
 *   EMBED_SFTP_PASSWORD='Some-Long-Passw0rd' npx tsx examples/embed-sftp.ts --dir /tmp/embed --port 2022
 *   sftp -P 2022 ada@127.0.0.1
 *
 * Prints one JSON line ({ host, port, login, dir }) when it listens; stops on SIGINT or SIGTERM.
 * Without EMBED_SFTP_PASSWORD a password is generated and printed.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createAuthLog,
  createAuthenticator,
  createDefender,
  createHomeViewProvider,
  createSiteLogger,
  generatePassword,
  hashPassword,
  openDatabase,
  type AuthSubject,
  type UserLookup,
} from '@migrid/core';
import { SftpServer, loadOrCreateHostKey } from '@migrid/fileservices';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: './embed-sftp-state' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '2022' },
    login: { type: 'string', default: 'ada' },
  },
});
const dir = resolve(values.dir ?? './embed-sftp-state');
await mkdir(join(dir, 'homes'), { recursive: true });

// 1. Your user store: anything that can find an account by login name.
const password = process.env.EMBED_SFTP_PASSWORD ?? generatePassword('MEDIUM');
const accounts = new Map<string, AuthSubject>([
  [values.login ?? 'ada', { id: 'u1', login: values.login ?? 'ada', status: 'active', expiresAt: null, passwordHash: await hashPassword(password) }],
]);
const users: UserLookup = {
  findByLogin: async (login) => accounts.get(login),
  updatePasswordHash: async (userId, hash) => {
    for (const [login, account] of accounts) if (account.id === userId) accounts.set(login, { ...account, passwordHash: hash });
  },
};

// 2. The core's authenticator with its defender; they keep their records in a small SQLite file.
const database = await openDatabase({ sqlitePath: join(dir, 'auth.db') });
const authLog = createAuthLog(join(dir, 'auth.log'));
const defender = createDefender(
  database.db,
  { enabled: true, window_seconds: 120, max_user_failures: 5, max_address_failures: 25, ban_seconds: 300, ban_growth: 2, max_ban_seconds: 86_400, allow_list: [] },
  { authLog },
);
const auth = createAuthenticator({ db: database.db, defender, authLog, users });

// 3. What each user may see: their own folder under <dir>/homes, as `/`.
const files = createHomeViewProvider({
  homeDirOf: async (userId) => {
    const home = join(dir, 'homes', userId);
    await mkdir(home, { recursive: true });
    return home;
  },
});

// 4. The server, with a host key kept next to the state.
const server = new SftpServer({
  context: { auth, files, logger: createSiteLogger({ logging: { level: 'warn', dir, auth_log: 'auth.log', audit_log: 'audit.log' } }, 'embed-sftp') },
  hostKeys: [await loadOrCreateHostKey(join(dir, 'ssh_host_ed25519_key'))],
  idleTimeoutSeconds: 600,
});
const address = await server.listen(Number(values.port), values.host);
console.log(JSON.stringify({ host: address.address, port: address.port, login: values.login, dir }));
if (process.env.EMBED_SFTP_PASSWORD === undefined) console.log(`password: ${password}`);

async function stop(): Promise<void> {
  await server.close();
  await authLog.close?.();
  await database.close();
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
