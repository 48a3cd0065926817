/**
 * A TCP proxy in front of a server that breaks the connection once, after a given number of
 * bytes went from client to server: a real network failure in the middle of an upload.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/** A running proxy. */
export interface BreakingProxy {
  readonly port: number;
  /** How many connections it broke. */
  readonly breaks: () => number;
  close(): Promise<void>;
}

/** Proxies 127.0.0.1:<new port> → 127.0.0.1:`targetPort`; breaks once after `breakAfter` upstream bytes in total. */
export async function startBreakingProxy(targetPort: number, breakAfter: number): Promise<BreakingProxy> {
  let upstreamBytes = 0;
  let broken = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      upstreamBytes += chunk.length;
      if (broken === 0 && upstreamBytes >= breakAfter) {
        broken += 1;
        end();
        return;
      }
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    breaks: () => broken,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
