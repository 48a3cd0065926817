/**
 * `npm run bench -- fileservices`: our SFTP, FTPS and WebDAVS servers against the native peers on
 * this machine, measured in the same run with the same client and cipher:
 * - SFTP vs OpenSSH's sftp-server behind a private sshd (client: OpenSSH sftp);
 * - FTPS vs vsftpd, TLS on both (client: see the FTPS module);
 * - WebDAVS vs Apache mod_dav over TLS (client: see the WebDAVS module).
 * Each: a 1 GiB file up and down, and 2,000 files of 4 KiB up and down. Prints MB/s or files/s
 * and our/native ratios. Goal: large-file ratios ≥ 1.0, small-file ratios ≥ 0.8.
 *
 * `BENCH_BIG_MIB` (default 1024), `BENCH_SMALL_FILES` (default 2000) and
 * `BENCH_PROTOCOLS` (default `sftp,ftps,webdavs`) shrink or select the run.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Row {
  protocol: string;
  case: string;
  unit: 'MB/s' | 'files/s';
  ours: number;
  native: number;
}

const bigBytes = Number(process.env.BENCH_BIG_MIB ?? 1024) * 1024 * 1024;
const smallFiles = Number(process.env.BENCH_SMALL_FILES ?? 2000);
const smallBytes = 4096;
const selected = new Set((process.env.BENCH_PROTOCOLS ?? 'sftp,ftps,webdavs').split(',').map((s) => s.trim()));
const peers: Record<string, string> = { sftp: 'OpenSSH sftp-server', ftps: 'vsftpd', webdavs: 'Apache mod_dav' };
type Runner = (o: { workDir: string; bigBytes: number; smallFiles: number; smallBytes: number }) => Promise<Row[]>;
const here = dirname(fileURLToPath(import.meta.url));
const exportName: Record<string, string> = { sftp: 'benchSftp', ftps: 'benchFtps', webdavs: 'benchWebdavs' };

/** Each protocol's measurement lives in `bench/_fileservices-<protocol>.ts`; a missing one is reported. */
async function runnerFor(protocol: string): Promise<Runner | undefined> {
  const file = join(here, `_fileservices-${protocol}.ts`);
  if (!existsSync(file)) return undefined;
  const module = (await import(pathToFileURL(file).href)) as Record<string, Runner>;
  return module[exportName[protocol] ?? ''];
}

const rows: Row[] = [];
for (const protocol of ['sftp', 'ftps', 'webdavs']) {
  if (!selected.has(protocol)) continue;
  const workDir = await mkdtemp(join(tmpdir(), `mig-bench-${protocol}-`));
  // Native peers may run as their own users (Apache as www-data): they must be able to reach inside.
  await chmod(workDir, 0o755);
  try {
    const run = await runnerFor(protocol);
    if (run === undefined) {
      console.error(`== ${protocol}: no server to measure yet`);
      continue;
    }
    console.error(`== ${protocol} (vs ${peers[protocol]}) …`);
    rows.push(...(await run({ workDir, bigBytes, smallFiles, smallBytes })));
  } catch (err) {
    console.error(`${protocol}: benchmark failed: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
console.log(`\nFile services, ${bigBytes / 1024 / 1024} MiB file and ${smallFiles} files of ${smallBytes} B (same client and cipher on both sides)\n`);
console.log(`${'protocol'.padEnd(9)} ${'case'.padEnd(11)} ${'ours'.padStart(10)} ${'native'.padStart(10)} ${'unit'.padEnd(8)} ${'ratio'.padStart(6)}  goal`);
for (const r of rows) {
  const ratio = r.ours / r.native;
  const goal = r.case.startsWith('big') ? 1.0 : 0.8;
  console.log(`${r.protocol.padEnd(9)} ${r.case.padEnd(11)} ${fmt(r.ours).padStart(10)} ${fmt(r.native).padStart(10)} ${r.unit.padEnd(8)} ${ratio.toFixed(2).padStart(6)}  ${ratio >= goal ? 'met' : `below ${goal.toFixed(1)}`}`);
}
