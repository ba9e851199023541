/**
 * The authenticating reverse proxy behind `mcptest proxy`: every request it accepts goes to the
 * MCP server's origin with a token asked from the daemon for that request. A 401 reports the
 * rejected token and the request is sent once more with the renewed one when its body could be
 * kept. Redirects are answered to the client, never followed with the token.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { McptestError, toMcptestError } from '../../shared/errors.js';
import { ensurePrivateDir } from '../../shared/paths.js';
import type { TokenSource } from '../mcp/credentials.js';
import { clientResponseHeaders, SECRET_HEADER, upstreamRequestHeaders } from './forward-headers.js';
import type { ListenAddress } from './listen-address.js';

/** Request bodies up to this size are kept so that a request refused with 401 can be sent again. */
export const REPLAY_BODY_LIMIT = 4 * 1024 * 1024;

export interface ProxyOptions {
  /** The MCP server endpoint; only its origin is used, paths come from the client. */
  upstream: URL;
  source: Pick<TokenSource, 'current' | 'renew'>;
  listen: ListenAddress;
  /** Extra non-secret headers for every upstream request (`--header`). */
  headers?: Record<string, string>;
  /** One line per request (method, path without secret or query, status, ms); none when absent. */
  log?: (line: string) => void;
  replayLimit?: number;
}

export interface RunningProxy {
  /** Where it listens, with the port the kernel chose. */
  address: ListenAddress;
  /** TCP only: the secret every request must carry. */
  secret: string | null;
  /** TCP only: the upstream URL as seen through the proxy, `http://127.0.0.1:PORT/<secret>/<path>`. */
  url: string | null;
  close(): Promise<void>;
}

type Body = { kept: Buffer } | { head: Buffer[]; rest: http.IncomingMessage };

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The request path once the secret is checked: `/<secret>/rest` gives `/rest`; with the secret in
 * its header the path is kept. Null when neither carries the secret.
 */
export function stripSecret(
  url: string,
  header: string | string[] | undefined,
  secret: string,
): string | null {
  const end = url.slice(1).search(/[/?]/);
  const first = end < 0 ? url.slice(1) : url.slice(1, end + 1);
  if (same(first, secret)) {
    const rest = url.slice(1 + first.length);
    return rest.startsWith('/') ? rest : `/${rest}`;
  }
  if (typeof header === 'string' && same(header, secret)) return url;
  return null;
}

/** Host is this proxy's loopback address: a page on another name (DNS rebinding) is refused. */
function loopbackHost(host: string | undefined, port: number): boolean {
  if (!host) return false;
  const m = /^(127\.0\.0\.1|localhost)(?::(\d+))?$/i.exec(host);
  return m !== null && (m[2] === undefined || Number(m[2]) === port);
}

/** Reads up to `limit` bytes; past it, hands over what was read and the rest of the stream. */
function readBody(req: http.IncomingMessage, limit: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        req.pause();
        req.off('data', onData).off('end', onEnd).off('error', reject);
        resolve({ head: chunks, rest: req });
      }
    };
    const onEnd = () => resolve({ kept: Buffer.concat(chunks) });
    req.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

/** The proxy's own refusals and failures, as plain text: the server was not asked, or failed. */
function answer(res: http.ServerResponse, status: number, message: string, hint?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`mcptest proxy: ${message}\n${hint ? `hint: ${hint}\n` : ''}`);
}

/** Starts the proxy; resolves once it listens. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const { upstream, source, log } = options;
  const limit = options.replayLimit ?? REPLAY_BODY_LIMIT;
  const tls = upstream.protocol === 'https:';
  const agent = tls ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const secret = options.listen.kind === 'tcp' ? randomBytes(24).toString('base64url') : null;
  let port = 0;

  const send = (
    method: string,
    target: string,
    headers: http.OutgoingHttpHeaders,
    token: string | null,
    body: Body,
  ) =>
    new Promise<{ req: http.ClientRequest; res: http.IncomingMessage }>((resolve, reject) => {
      const out: http.OutgoingHttpHeaders = { ...headers, ...options.headers };
      if (token) out.authorization = `Bearer ${token}`;
      if ('kept' in body && body.kept.length > 0) out['content-length'] = body.kept.length;
      const req = (tls ? https : http).request({
        agent,
        method,
        protocol: upstream.protocol,
        hostname: upstream.hostname.replace(/^\[|\]$/g, ''),
        port: upstream.port || (tls ? 443 : 80),
        path: target,
        headers: out,
      });
      req.once('response', (res) => resolve({ req, res }));
      req.once('error', reject);
      if ('kept' in body) req.end(body.kept);
      else {
        for (const chunk of body.head) req.write(chunk);
        body.rest.pipe(req);
      }
    });

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, logged: { path: string }) => {
    if (secret !== null && !loopbackHost(req.headers.host, port)) {
      answer(res, 403, "the Host header is not this proxy's loopback address");
      return;
    }
    const url = req.url ?? '/';
    const target = secret === null ? url : stripSecret(url, req.headers[SECRET_HEADER], secret);
    if (target === null) {
      answer(
        res,
        403,
        `this proxy needs its secret: a /<secret>/ path prefix or the ${SECRET_HEADER} header`,
      );
      return;
    }
    if (!target.startsWith('/')) {
      answer(res, 400, 'the proxy takes paths on the server (origin-form), not absolute URLs');
      return;
    }
    logged.path = target.replace(/\?.*$/s, '');
    const body = await readBody(req, limit);
    const headers = upstreamRequestHeaders(req.headers);
    const method = req.method ?? 'GET';
    let token = await source.current();
    let sent = await send(method, target, headers, token, body);
    if (sent.res.statusCode === 401 && token !== null && 'kept' in body) {
      const fresh = await source.renew(token);
      if (fresh !== null && fresh !== token) {
        sent.res.resume();
        token = fresh;
        sent = await send(method, target, headers, token, body);
      }
    }
    const up = sent.res;
    res.writeHead(up.statusCode ?? 502, up.statusMessage, clientResponseHeaders(up.headers));
    // An event stream starts now, not when a buffer fills.
    res.flushHeaders();
    pipeline(up, res, () => undefined);
    res.once('close', () => {
      if (!up.complete) sent.req.destroy();
    });
  };

  const server = http.createServer((req, res) => {
    const started = performance.now();
    const logged = { path: '-' };
    res.once('close', () => {
      log?.(`${req.method} ${logged.path} ${res.statusCode} ${Math.round(performance.now() - started)}ms`);
    });
    handle(req, res, logged).catch((err) => {
      const e = toMcptestError(err);
      const upstreamDown =
        (err as NodeJS.ErrnoException).code !== undefined && !(err instanceof McptestError);
      if (upstreamDown) {
        answer(res, 502, `cannot reach ${upstream.origin}: ${(err as Error).message}`);
      } else {
        answer(res, e.status >= 500 ? e.status : 502, `${e.code}: ${e.message}`, e.hint);
      }
    });
  });

  if (options.listen.kind === 'unix') {
    await listenUnix(server, options.listen.path, options.listen.given === true);
  } else {
    const { host, port: wanted } = options.listen;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(wanted, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    port = (server.address() as net.AddressInfo).port;
  }
  const address: ListenAddress =
    options.listen.kind === 'unix' ? options.listen : { kind: 'tcp', host: '127.0.0.1', port };
  return {
    address,
    secret,
    url: secret === null ? null : `http://127.0.0.1:${port}/${secret}${upstream.pathname}${upstream.search}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Event streams stay open until their clients leave: end them.
      server.closeAllConnections();
      await closed;
      agent.destroy();
      if (address.kind === 'unix') fs.rmSync(address.path, { force: true });
    },
  };
}

/**
 * Listens on `socket` in a private folder: folder 0700, socket 0600; a stale socket is replaced.
 * A folder of `--listen unix:PATH` that others can open is refused with a hint about --listen.
 */
async function listenUnix(server: http.Server, socket: string, given: boolean): Promise<void> {
  try {
    ensurePrivateDir(path.dirname(socket));
  } catch (err) {
    if (!given || !(err instanceof McptestError) || err.code !== 'socket_unsafe') throw err;
    throw new McptestError(err.code, `--listen unix:${socket}: ${err.message}`, {
      hint: 'put the socket in a folder only you can open (mode 700), e.g. --listen unix:$HOME/.mcptest/run/proxy.sock, or omit --listen for one in the private folder',
    });
  }
  const st = fs.lstatSync(socket, { throwIfNoEntry: false });
  if (st) {
    if (!st.isSocket()) {
      throw new McptestError('socket_unsafe', `${socket} exists and is not a socket`, {
        hint: `rm ${socket}`,
      });
    }
    if (await answers(socket)) {
      throw new McptestError('invalid_request', `a proxy already listens on ${socket}`, {
        hint: 'use it, stop it, or pass --listen unix:OTHER_PATH',
      });
    }
    fs.rmSync(socket, { force: true });
  }
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(umask);
  }
  fs.chmodSync(socket, 0o600);
}

function answers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
