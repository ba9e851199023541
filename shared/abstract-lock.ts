import { createHash } from 'node:crypto';
import net from 'node:net';

/**
 * A process-wide mutex that the kernel releases when the holder dies, even by `kill -9`: a
 * listening socket in Linux's abstract namespace. Its name is derived from `scope` (the socket
 * path), so daemons of different users or homes never collide.
 */
export function abstractLockName(kind: string, scope: string): string {
  return `\0mcptest-${kind}-${createHash('sha256').update(scope).digest('hex').slice(0, 24)}`;
}

export interface HeldLock {
  release(): Promise<void>;
}

/** Tries to take the lock; resolves null when another process holds it. */
export function tryAbstractLock(name: string): Promise<HeldLock | null> {
  if (process.platform !== 'linux') return Promise.resolve({ release: async () => {} });
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(null);
      else reject(err);
    });
    server.listen(name, () => {
      resolve({ release: () => new Promise<void>((r) => server.close(() => r())) });
    });
  });
}
