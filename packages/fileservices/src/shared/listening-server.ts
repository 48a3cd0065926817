/**
 * Listening and closing a `net`/`tls` server the same way in every file service: `listen` resolves
 * with the bound address or rejects with the bind error; `close` stops accepting, ends the open
 * connections (through `endConnections`) and resolves when the server is closed.
 * @packageDocumentation
 */
import type { AddressInfo, Server } from 'node:net';

/** Starts `server` on `host:port` (port 0: any free port). */
export function listenOn(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops `server` (if `listening`), ends the connections, and waits for the server to close. */
export async function closeServer(server: Server, listening: boolean, endConnections: () => void): Promise<void> {
  const closing = listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
  endConnections();
  await closing;
}
