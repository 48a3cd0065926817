/** Free TCP ports on 127.0.0.1 for servers whose config needs a fixed port number. */
import { createServer } from 'node:net';

/** A port that was free a moment ago (the OS picked it for a throwaway listener). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A block of `count` consecutive ports that are free now (for FTP passive ranges). */
export async function freePortRange(count: number): Promise<{ first: number; last: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = 20_000 + Math.floor(Math.random() * 30_000);
    const servers = [];
    let ok = true;
    for (let p = first; p < first + count; p++) {
      const s = createServer();
      const bound = await new Promise<boolean>((resolve) => {
        s.once('error', () => resolve(false));
        s.listen(p, '127.0.0.1', () => resolve(true));
      });
      if (!bound) {
        ok = false;
        break;
      }
      servers.push(s);
    }
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    if (ok) return { first, last: first + count - 1 };
  }
  throw new Error(`no ${count} consecutive free ports found`);
}
