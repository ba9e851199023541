/**
 * The loopback redirect of a browser login, as `login --redirect-port` and `--redirect-uri` name
 * it: `http://127.0.0.1:PORT/PATH`, checked by the CLI before it asks and by the daemon before it
 * listens. The daemon's listener binds 127.0.0.1 only, so that is the one host allowed.
 * @see RFC 8252 §7.3 (loopback redirect over http), §8.3 (an IP literal, not `localhost`)
 */
import { McptestError } from './errors.js';

export const DEFAULT_CALLBACK_PATH = '/callback';

/** Where the daemon listens for the redirect, and the URI it puts in the authorization request. */
export interface LoopbackRedirect {
  port: number;
  path: string;
}

const EXAMPLE = 'mcptest login https://mcp.example.com/mcp --redirect-uri http://127.0.0.1:8765/callback';

function refuse(what: string): never {
  throw new McptestError('invalid_request', what, { hint: EXAMPLE });
}

/** A `--redirect-port`: a whole number from 1 to 65535. */
export function parseRedirectPort(value: string | number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65_535) {
    throw new McptestError('invalid_request', `--redirect-port takes a port from 1 to 65535, not ${value}`, {
      hint: 'mcptest login https://mcp.example.com/mcp --redirect-port 8765',
    });
  }
  return n;
}

/** Checks a `--redirect-uri`: loopback http with an explicit port, no query or fragment. */
export function parseLoopbackRedirectUri(value: string): LoopbackRedirect {
  const url = URL.parse(value);
  if (!url) refuse(`--redirect-uri ${value} is not a URL`);
  if (url.protocol !== 'http:') {
    refuse(`--redirect-uri ${value}: a loopback redirect uses http (RFC 8252 §7.3), not ${url.protocol}`);
  }
  if (url.hostname !== '127.0.0.1') {
    refuse(
      `--redirect-uri ${value}: the host must be 127.0.0.1, where the daemon listens (RFC 8252 §8.3 advises an IP literal over localhost)`,
    );
  }
  if (!url.port) refuse(`--redirect-uri ${value} names no port; give the one the client registered`);
  if (url.search || url.hash || url.username || url.password) {
    refuse(`--redirect-uri ${value}: no query, fragment or user info in a redirect URI`);
  }
  return { port: Number(url.port), path: url.pathname };
}

/** The redirect URI the daemon listens for. */
export function loopbackRedirectUri(redirect: LoopbackRedirect): string {
  return `http://127.0.0.1:${redirect.port}${redirect.path}`;
}
