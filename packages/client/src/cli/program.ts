/**
 * The `miguser` command line: commands over {@link MigClient}, the config file, error lines
 * (`miguser: <message> (<code>)`, exit 1; usage errors exit 2) and `--json` output.
 * @packageDocumentation
 */
import { readFile, stat as statLocal } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { MigApiError, MigClientError } from '../errors.js';
import { MigClient, tokenIdOf } from '../mig-client.js';
import { joinRemotePath, normalizeRemotePath, remoteBaseName } from '../remote-path.js';
import type { ChecksumAlgorithm, FileEntry, JobInfo } from '../types.js';
import { configPathOf, readConfig, removeConfig, writeConfig, type MiguserConfig } from './config-file.js';
import { formatBytes, formatEntry, formatListing } from './format.js';
import { readPassword } from './password-input.js';
import { addShareCommands } from './share-commands.js';
import { addVgridCommands } from './vgrid-commands.js';
import { createProgress, type Progress } from './progress.js';
import { headOf, tailOf } from './text-ranges.js';
import { getTree, putTree } from './transfers.js';
import { runPool } from './task-pool.js';

/** The streams and environment `miguser` runs with (the process's, or a test's). */
export interface MiguserIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** The version `miguser --version` prints. */
export const MIGUSER_VERSION = '0.1.0';

const USER_AGENT = `miguser/${MIGUSER_VERSION}`;

const usage = (message: string): MigClientError => new MigClientError('MIG_E_USAGE', message);

function positiveInt(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > max) throw new InvalidArgumentError(`${name} must be a whole number from 0 to ${max}.`);
    return n;
  };
}

const isTty = (stream: Writable): stream is NodeJS.WriteStream => (stream as NodeJS.WriteStream).isTTY === true;

/** Everything one run needs. */
class Runner {
  readonly io: MiguserIo;
  #client: MigClient | undefined;

  constructor(io: MiguserIo) {
    this.io = io;
  }

  get configPath(): string {
    return resolve(this.io.cwd, configPathOf(this.io.env));
  }

  out(text: string): void {
    this.io.stdout.write(text);
  }

  json(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  warn(message: string): void {
    this.io.stderr.write(`miguser: warning: ${message}\n`);
  }

  local(path: string): string {
    return resolve(this.io.cwd, path);
  }

  progress(label: string, quiet: boolean): Progress {
    return createProgress(label, this.io.stderr as NodeJS.WriteStream, !quiet);
  }

  async config(): Promise<MiguserConfig> {
    const { config, warning } = await readConfig(this.configPath);
    if (warning !== undefined) this.warn(warning);
    return config;
  }

  async client(): Promise<MigClient> {
    if (this.#client !== undefined) return this.#client;
    const config = await this.config();
    const ca = config.ca === undefined ? undefined : await readCa(config.ca);
    this.#client = new MigClient({ url: config.url, token: config.token, userAgent: USER_AGENT, ...(ca !== undefined && { ca }) });
    return this.#client;
  }

  async close(): Promise<void> {
    await this.#client?.close();
  }

  /** The entry at a remote path, or undefined when there is none. */
  async statOrNone(path: string): Promise<FileEntry | undefined> {
    const client = await this.client();
    try {
      return await client.stat(path);
    } catch (err) {
      if (err instanceof MigApiError && err.status === 404) return undefined;
      throw err;
    }
  }
}

async function readCa(file: string): Promise<Buffer> {
  try {
    const pem = await readFile(file);
    if (!pem.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new Error('not a PEM certificate');
    return pem;
  } catch (err) {
    throw new MigClientError('MIG_E_LOCAL_IO', `Cannot use the CA certificate ${file}: ${(err as Error).message}.`, { cause: err });
  }
}

/** Where a source goes when copied/moved/uploaded to `dest`: into it when it is a folder. */
function targetIn(dest: FileEntry | undefined, destPath: string, sourceName: string): string {
  return dest?.type === 'directory' ? joinRemotePath(destPath, sourceName) : normalizeRemotePath(destPath);
}

function addLogin(program: Command, run: Runner): void {
  program
    .command('login')
    .description('sign in to a site and store an API token in the config (password from stdin, or asked for)')
    .argument('<url>', "the site's address, e.g. https://mig.example.org")
    .requiredOption('-u, --username <name>', 'your user name (the email address of the account)')
    .option('--ca <file>', "trust this CA certificate (PEM; a site made by `mig init` keeps it in state/certs/ca.pem); stored for later commands")
    .option('--totp <code>', 'the current two-factor code, when the account uses 2FA')
    .option('--token-name <name>', 'a label for the token in your account', `miguser on ${hostname()}`)
    .addOption(new Option('--expires-days <days>', 'token lifetime in days (default: the site maximum)').argParser(positiveInt('--expires-days', 36_500)))
    .option('--json', 'print the result as JSON')
    .action(async (url: string, opts: { username: string; ca?: string; totp?: string; tokenName: string; expiresDays?: number; json?: boolean }) => {
      const caPath = opts.ca === undefined ? undefined : run.local(opts.ca);
      const ca = caPath === undefined ? undefined : await readCa(caPath);
      const password = await readPassword(run.io.stdin, run.io.stderr, `Password for ${opts.username}: `);
      const result = await MigClient.login(url, {
        username: opts.username,
        password,
        tokenName: opts.tokenName,
        userAgent: USER_AGENT,
        ...(opts.totp !== undefined && { totp: opts.totp }),
        ...(ca !== undefined && { ca }),
        ...(opts.expiresDays !== undefined && { expiresInDays: opts.expiresDays }),
      });
      const siteUrl = new URL(url).href.replace(/\/+$/, '');
      const tokenId = result.id ?? tokenIdOf(result.token);
      await writeConfig(run.configPath, {
        url: siteUrl,
        token: result.token,
        username: opts.username,
        ...(tokenId !== undefined && { tokenId }),
        ...(caPath !== undefined && { ca: caPath }),
      });
      const summary = { url: siteUrl, username: opts.username, tokenId, tokenName: result.name, scopes: result.scopes, expiresAt: result.expiresAt, config: run.configPath };
      if (opts.json === true) run.json(summary);
      else run.out(`Logged in to ${siteUrl} as ${opts.username}; token "${result.name}" stored in ${run.configPath}.\n`);
    });

  program
    .command('logout')
    .description('revoke the stored API token and remove it from the config')
    .action(async () => {
      const config = await run.config();
      const tokenId = config.tokenId ?? tokenIdOf(config.token);
      if (tokenId !== undefined) {
        try {
          await (await run.client()).revokeToken(tokenId);
        } catch (err) {
          // A token the site no longer accepts is as good as revoked.
          if (!(err instanceof MigApiError && (err.status === 401 || err.code === 'MIG_E_TOKEN_NOT_FOUND'))) throw err;
        }
      }
      await removeConfig(run.configPath);
      run.out(`Logged out of ${config.url}.\n`);
    });

  program
    .command('whoami')
    .description('show the account the stored token belongs to')
    .option('--json', 'print the account as JSON')
    .action(async (opts: { json?: boolean }) => {
      const client = await run.client();
      const account = await client.account();
      if (opts.json === true) return run.json(account);
      run.out(`${account.email}${account.fullName ? ` (${account.fullName})` : ''}\nsite:   ${client.url}\nstatus: ${account.status}\nroles:  ${account.roles.join(', ') || '-'}\n`);
    });
}

function addBrowse(program: Command, run: Runner): void {
  program
    .command('ls')
    .description('list a folder (default: your top folder)')
    .argument('[path]', 'remote folder or file', '/')
    .option('-l, --long', 'one line per entry with type, size and time')
    .option('--json', 'print the entries as a JSON array')
    .action(async (path: string, opts: { long?: boolean; json?: boolean }) => {
      const client = await run.client();
      let entries: FileEntry[];
      try {
        entries = await client.list(path);
      } catch (err) {
        if (!(err instanceof MigApiError && err.code === 'MIG_E_NOT_A_DIRECTORY')) throw err;
        entries = [await client.stat(path)];
      }
      if (opts.json === true) run.json(entries);
      else run.out(formatListing(entries, opts.long === true));
    });

  program
    .command('stat')
    .description('show one entry')
    .argument('<path>', 'remote path')
    .option('--json', 'print the entry as JSON')
    .action(async (path: string, opts: { json?: boolean }) => {
      const entry = await (await run.client()).stat(path);
      if (opts.json === true) run.json(entry);
      else run.out(formatEntry(entry));
    });

  program
    .command('checksum')
    .description('a checksum of a remote file, computed by the site')
    .argument('<paths...>', 'remote files')
    .addOption(new Option('-a, --algorithm <name>', 'hash algorithm').choices(['sha256', 'sha512', 'sha1', 'md5']).default('sha256'))
    .option('--json', 'print the results as JSON')
    .action(async (paths: string[], opts: { algorithm: ChecksumAlgorithm; json?: boolean }) => {
      const client = await run.client();
      const results = [];
      for (const path of paths) results.push(await client.checksum(path, opts.algorithm));
      if (opts.json === true) run.json(paths.length === 1 ? results[0] : results);
      else run.out(results.map((r) => `${r.digest}  ${r.path}\n`).join(''));
    });

  program
    .command('cat')
    .description('write remote files to standard output')
    .argument('<paths...>', 'remote files')
    .action(async (paths: string[]) => {
      const client = await run.client();
      for (const path of paths) await pipeline(await client.download(path), run.io.stdout, { end: false });
    });

  for (const which of ['head', 'tail'] as const) {
    program
      .command(which)
      .description(which === 'head' ? 'the first lines of a remote file' : 'the last lines of a remote file (fetched from the end)')
      .argument('<path>', 'remote file')
      .addOption(new Option('-n, --lines <n>', 'number of lines').argParser(positiveInt('--lines', 10_000_000)).default(10))
      .addOption(new Option('-c, --bytes <n>', 'number of bytes instead of lines').argParser(positiveInt('--bytes', Number.MAX_SAFE_INTEGER)))
      .action(async (path: string, opts: { lines: number; bytes?: number }) => {
        const client = await run.client();
        const options = opts.bytes === undefined ? { lines: opts.lines } : { bytes: opts.bytes };
        run.io.stdout.write(which === 'head' ? await headOf(client, path, options) : await tailOf(client, path, options));
      });
  }
}

/** One line about a job for people. */
function formatJob(job: JobInfo): string {
  const extra = job.failureMessage ? `  ${job.failureMessage}` : '';
  return `${job.id}  ${job.status}${job.name ? `  ${job.name}` : ''}${extra}\n`;
}

function addJobs(program: Command, run: Runner): void {
  program
    .command('submit')
    .description('submit a job from an mRSL file; prints the job id')
    .argument('<file>', 'local mRSL file')
    .option('--json', 'print the job as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const info = await statLocal(resolve(run.io.cwd, file)).catch(() => undefined);
      if (info === undefined || !info.isFile()) throw new MigClientError('MIG_E_USAGE', `${file} is not a readable file.`);
      if (info.size > 1024 * 1024) throw new MigClientError('MIG_E_USAGE', `${file} is larger than 1 MiB; a job description is a short text.`);
      const job = await (await run.client()).submitJob(await readFile(resolve(run.io.cwd, file), 'utf8'));
      if (opts.json === true) run.json(job);
      else run.out(`${job.id}\n`);
    });

  program
    .command('status')
    .description('the status of your jobs (all, newest first, or the ones named)')
    .argument('[ids...]', 'job ids')
    .option('--json', 'print JSON (an object for one id, else an array)')
    .action(async (ids: string[], opts: { json?: boolean }) => {
      const client = await run.client();
      const jobs = ids.length === 0 ? await client.jobs({ limit: 100 }) : await Promise.all(ids.map((id) => client.job(id)));
      if (opts.json === true) run.json(ids.length === 1 ? jobs[0] : jobs);
      else run.out(jobs.map(formatJob).join(''));
    });

  for (const action of ['cancel', 'freeze', 'thaw'] as const) {
    program
      .command(action)
      .description(`${action} jobs`)
      .argument('<ids...>', 'job ids')
      .action(async (ids: string[]) => {
        const client = await run.client();
        for (const id of ids) run.out(formatJob(await client.jobAction(id, action)));
      });
  }

  program
    .command('resubmit')
    .description('submit jobs again (new jobs with the same description); prints the new ids')
    .argument('<ids...>', 'job ids')
    .action(async (ids: string[]) => {
      const client = await run.client();
      for (const id of ids) run.out(`${(await client.resubmitJob(id)).id}\n`);
    });

  program
    .command('output')
    .description("a job's output (stdout, or stderr / status) from job_output/<id>/")
    .argument('<id>', 'job id')
    .addOption(new Option('--stream <which>', 'which output').choices(['stdout', 'stderr', 'status', 'io-status']).default('stdout'))
    .action(async (id: string, opts: { stream: string }) => {
      const client = await run.client();
      await pipeline(await client.download(`/job_output/${id}/${id}.${opts.stream}`), run.io.stdout, { end: false });
    });
}

function addChanges(program: Command, run: Runner): void {
  program
    .command('mkdir')
    .description('make remote folders')
    .argument('<paths...>', 'remote folders')
    .option('-p, --parents', 'make missing parents too; no error when the folder exists')
    .option('--json', 'print the new entries as JSON')
    .action(async (paths: string[], opts: { parents?: boolean; json?: boolean }) => {
      const client = await run.client();
      const made: FileEntry[] = [];
      for (const path of paths) {
        try {
          made.push(await client.mkdir(path, { parents: opts.parents === true }));
        } catch (err) {
          const exists = err instanceof MigApiError && err.code === 'MIG_E_PATH_EXISTS' && opts.parents === true;
          const entry = exists ? await run.statOrNone(path) : undefined;
          if (entry?.type !== 'directory') throw err;
          made.push(entry);
        }
      }
      if (opts.json === true) run.json(made);
    });

  for (const which of ['mv', 'cp'] as const) {
    program
      .command(which)
      .description(which === 'mv' ? 'move or rename remote entries' : 'copy remote entries (folders with their content)')
      .argument('<paths...>', 'SOURCE... DEST (into DEST when it is a folder)')
      .option('-f, --overwrite', 'replace an existing destination')
      .option('--json', 'print the resulting entries as JSON')
      .action(async (paths: string[], opts: { overwrite?: boolean; json?: boolean }) => {
        if (paths.length < 2) throw usage(`${which} needs a source and a destination.`);
        const client = await run.client();
        const destPath = paths[paths.length - 1] as string;
        const sources = paths.slice(0, -1);
        const dest = await run.statOrNone(destPath);
        if (sources.length > 1 && dest?.type !== 'directory') throw usage(`${destPath} is not a folder; with several sources the destination must be an existing folder.`);
        const results: FileEntry[] = [];
        for (const source of sources) {
          const to = targetIn(dest, destPath, remoteBaseName(source));
          const options = { overwrite: opts.overwrite === true };
          results.push(which === 'mv' ? await client.move(source, to, options) : await client.copy(source, to, options));
        }
        if (opts.json === true) run.json(results);
      });
  }

  program
    .command('rm')
    .description('move remote entries to the trash (or delete them for good)')
    .argument('<paths...>', 'remote paths')
    .option('-r, --recursive', 'remove folders with their content')
    .option('--permanent', 'delete for good instead of moving to the trash')
    .option('--json', 'print the result as JSON')
    .action(async (paths: string[], opts: { recursive?: boolean; permanent?: boolean; json?: boolean }) => {
      const client = await run.client();
      if (opts.recursive !== true) {
        for (const path of paths) {
          const entry = await client.stat(path);
          if (entry.type === 'directory') throw usage(`${entry.path} is a folder; use rm -r to remove it with its content.`);
        }
      }
      const result = await client.remove(paths, { permanent: opts.permanent === true });
      if (opts.json === true) run.json(result);
    });
}

function addTransfers(program: Command, run: Runner): void {
  const parallelOption = (): Option => new Option('-P, --parallel <n>', 'files transferred at once').argParser(positiveInt('--parallel', 32)).default(4);

  program
    .command('put')
    .description('upload local files (and with -r folders) to the site')
    .argument('<paths...>', 'LOCAL... REMOTE (into REMOTE when it is a folder)')
    .option('-r, --recursive', 'upload folders with their content')
    .option('-f, --overwrite', 'replace existing remote files')
    .option('-q, --quiet', 'no progress bar')
    .addOption(parallelOption())
    .option('--json', 'print the uploaded entries as JSON')
    .action(async (paths: string[], opts: { recursive?: boolean; overwrite?: boolean; quiet?: boolean; parallel: number; json?: boolean }) => {
      if (paths.length < 2) throw usage('put needs a local source and a remote destination.');
      const client = await run.client();
      const destPath = paths[paths.length - 1] as string;
      const sources = paths.slice(0, -1).map((p) => run.local(p));
      const kinds = await Promise.all(
        sources.map((source) =>
          statLocal(source).catch((err: unknown) => {
            throw new MigClientError('MIG_E_LOCAL_IO', `Cannot read ${source}: ${(err as Error).message}`, { cause: err });
          }),
        ),
      );
      kinds.forEach((kind, i) => {
        if (kind.isDirectory() && opts.recursive !== true) throw usage(`${sources[i] ?? ''} is a folder; use put -r to upload it with its content.`);
      });
      const dest = await run.statOrNone(destPath);
      if ((sources.length > 1 || destPath.endsWith('/')) && dest?.type !== 'directory') throw usage(`${destPath} is not a folder; with several sources the destination must be an existing folder.`);
      const uploaded: FileEntry[] = [];
      const progress = run.progress('put', opts.quiet === true || opts.json === true);
      try {
        const files = sources.flatMap((source, i) => (kinds[i]?.isDirectory() === true ? [] : [{ source, size: kinds[i]?.size ?? 0 }]));
        const folders = sources.filter((_, i) => kinds[i]?.isDirectory() === true);
        let treeProgress: Progress = progress;
        if (files.length > 0) {
          progress.start(files.reduce((sum, f) => sum + f.size, 0), files.length);
          await runPool(files, opts.parallel, async ({ source }) => {
            let last = 0;
            uploaded.push(
              await client.upload(targetIn(dest, destPath, basename(source)), source, {
                overwrite: opts.overwrite === true,
                onProgress: (done) => {
                  progress.add(done - last);
                  last = done;
                },
              }),
            );
            progress.fileDone();
          });
          if (folders.length > 0) {
            progress.stop();
            treeProgress = run.progress('put', opts.quiet === true || opts.json === true);
          }
        }
        for (const folder of folders) {
          const target = targetIn(dest, destPath, basename(folder));
          uploaded.push(...(await putTree(client, folder, target, { parallel: opts.parallel, overwrite: opts.overwrite === true, progress: treeProgress, warn: (m) => run.warn(m) })));
        }
        treeProgress.stop();
      } catch (err) {
        progress.stop();
        throw err;
      }
      if (opts.json === true) run.json(uploaded);
    });

  program
    .command('get')
    .description('download a remote file (or with -r a folder)')
    .argument('<remote>', 'remote file or folder')
    .argument('[local]', 'local destination (default: the same name in the current folder; into it when it is a folder)')
    .option('-r, --recursive', 'download a folder with its content')
    .option('-c, --continue', 'continue a partial download (LOCAL.part) where it stopped')
    .option('-q, --quiet', 'no progress bar')
    .addOption(parallelOption())
    .option('--json', 'print a summary as JSON')
    .action(async (remote: string, localArg: string | undefined, opts: { recursive?: boolean; continue?: boolean; quiet?: boolean; parallel: number; json?: boolean }) => {
      const client = await run.client();
      const entry = await client.stat(remote);
      if (entry.type === 'directory' && opts.recursive !== true) throw usage(`${entry.path} is a folder; use get -r to download it with its content.`);
      const name = remoteBaseName(entry.path) || 'home';
      let local = run.local(localArg ?? name);
      const existing = await statLocal(local).catch(() => undefined);
      if (existing?.isDirectory() === true && localArg !== undefined) local = resolve(local, name);
      const progress = run.progress('get', opts.quiet === true || opts.json === true);
      let files = 1;
      let bytes = entry.size;
      try {
        if (entry.type === 'directory') {
          files = await getTree(client, entry.path, local, { parallel: opts.parallel, overwrite: true, progress, warn: (m) => run.warn(m) });
          bytes = -1;
        } else {
          progress.start(entry.size, 1);
          let last = 0;
          bytes = await client.downloadTo(entry.path, local, {
            resume: opts.continue === true,
            onProgress: (done) => {
              progress.add(done - last);
              last = done;
            },
          });
        }
      } finally {
        progress.stop();
      }
      if (opts.json === true) run.json({ remote: entry.path, local, type: entry.type, files, ...(bytes >= 0 && { bytes }) });
      else if (isTty(run.io.stderr) && opts.quiet !== true) run.io.stderr.write(`${entry.path} → ${local}${bytes >= 0 ? ` (${formatBytes(bytes)})` : ` (${files} files)`}\n`);
    });
}

/** Builds the `miguser` program for one run. */
export function createMiguserProgram(io: MiguserIo): { program: Command; close: () => Promise<void> } {
  const run = new Runner(io);
  const program = new Command('miguser')
    .description('Work with your files on a MiG site from the command line (uses the site API with an API token).')
    .version(MIGUSER_VERSION)
    .addHelpText('after', '\nThe config (site URL, API token, CA file) is kept in $MIGUSER_CONF, default ~/.mig/miguser.conf.')
    .showSuggestionAfterError(true);
  addLogin(program, run);
  addBrowse(program, run);
  addChanges(program, run);
  addTransfers(program, run);
  addJobs(program, run);
  addShareCommands(program, run);
  addVgridCommands(program, run);
  const configure = (command: Command): void => {
    command.exitOverride();
    command.configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`miguser: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')} (MIG_E_USAGE)\n`),
    });
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  return { program, close: () => run.close() };
}

/** A one-line message for an error: `miguser: <message> (<code>)`. */
export function errorLine(err: unknown): string {
  if (err instanceof MigApiError || err instanceof MigClientError) {
    const hint = err instanceof MigApiError && err.code === 'MIG_E_AUTH_FAILED' && !/log ?in/i.test(err.message) ? ' Run `miguser login` again if your token was revoked or has expired.' : '';
    return `miguser: ${err.message.replace(/\s+/g, ' ').trim()}${hint} (${err.code})`;
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('E')) return `miguser: ${(err as Error).message} (MIG_E_LOCAL_IO)`;
  return `miguser: unexpected error: ${err instanceof Error ? err.message : String(err)} (MIG_E_INTERNAL)`;
}

/**
 * Runs `miguser` with `argv` (without `node` and the script) and returns the exit code: 0 done,
 * 1 failed, 2 usage error.
 */
export async function runMiguser(argv: readonly string[], io: MiguserIo): Promise<number> {
  const { program, close } = createMiguserProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      if (err.code === 'commander.executeSubCommandAsync' || err.exitCode === 0) return err.exitCode;
      return 2;
    }
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    io.stderr.write(`${errorLine(err)}\n`);
    return err instanceof MigClientError && err.code === 'MIG_E_USAGE' ? 2 : 1;
  } finally {
    await close().catch(() => undefined);
  }
}
