import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface LoopbackServer {
  server: Server;
  port: number;
  /** Closes the server, destroying open (keep-alive or hung) connections. */
  close(): Promise<void>;
}

/** A plain node:http server listening on 127.0.0.1 that tracks its sockets so close() is prompt. */
export async function listenOnLoopback(port = 0): Promise<LoopbackServer> {
  const server = createServer();
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
