/**
 * Where `mcptest proxy` listens: a Unix socket in a private folder (the default, next to the
 * daemon's socket), or a port on 127.0.0.1 and nowhere else.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { McptestError } from '../../shared/errors.js';
import { checkSocketPathLength, resolvePaths } from '../../shared/paths.js';

export type ListenAddress =
  /** `given`: the path came from `--listen unix:PATH` rather than being the default. */
  { kind: 'unix'; path: string; given?: true } | { kind: 'tcp'; host: '127.0.0.1'; port: number };

/** `<socketDir>/proxy-<hash of the server URL>.sock`: one default socket per upstream server. */
export function defaultProxySocket(serverUrl: string, env: NodeJS.ProcessEnv): string {
  const hash = createHash('sha256').update(serverUrl).digest('hex').slice(0, 16);
  return path.join(resolvePaths(env).socketDir, `proxy-${hash}.sock`);
}

/** Parses `--listen unix:PATH | 127.0.0.1:PORT`; refuses any address but the loopback one. */
export function parseListen(
  value: string | undefined,
  serverUrl: string,
  env: NodeJS.ProcessEnv,
): ListenAddress {
  if (value === undefined) {
    const socket = defaultProxySocket(serverUrl, env);
    checkSocketPathLength(socket);
    return { kind: 'unix', path: socket };
  }
  if (value.startsWith('unix:')) {
    const socket = path.resolve(value.slice('unix:'.length));
    if (value.length === 'unix:'.length) {
      throw new McptestError('invalid_request', '--listen unix: needs a socket path', {
        hint: '--listen unix:$HOME/.mcptest/run/proxy.sock',
      });
    }
    checkSocketPathLength(socket);
    return { kind: 'unix', path: socket, given: true };
  }
  const match = /^127\.0\.0\.1:(\d{1,5})$/.exec(value);
  const port = match ? Number(match[1]) : Number.NaN;
  if (!match || port > 65535) {
    throw new McptestError(
      'invalid_request',
      `--listen takes unix:PATH or 127.0.0.1:PORT, not ${JSON.stringify(value)}: the proxy adds your token to every request, so it listens on loopback only`,
      { hint: '--listen 127.0.0.1:8080 (or omit --listen for a private Unix socket)' },
    );
  }
  return { kind: 'tcp', host: '127.0.0.1', port };
}
