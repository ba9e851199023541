/**
 * A real MCP server (Streamable HTTP, stateless unless asked for sessions) on loopback, protected
 * by bearer JWTs from the test IdP, with RFC 9728 protected-resource metadata.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import { createExampleMcpServer, DEFAULT_TOOL_SCOPES } from './tools.js';
import { listenOnLoopback } from './loopback.js';

export interface McpServerOptions {
  /** The IdP's issuer URL; required unless `auth` is false. */
  issuer?: string;
  /** JWKS location; `${issuer}/jwks` by default (the oidc-provider route). */
  jwksUri?: string;
  /** Port on 127.0.0.1; 0 by default. */
  port?: number;
  /** Scopes every MCP request needs; default ['mcp:read']. */
  requiredScopes?: string[];
  /** Extra scopes per tool for `tools/call`; default { admin_reset: ['mcp:admin'] }. */
  toolScopes?: Record<string, string[]>;
  /** `scopes_supported` in the protected-resource metadata; default mcp:read, mcp:write, mcp:admin. */
  scopesSupported?: string[];
  /** Serve without auth when false; default true. */
  auth?: boolean;
  /**
   * Keep a session per client (`Mcp-Session-Id`, ended by DELETE) instead of serving each
   * request on its own; default false.
   */
  sessions?: boolean;
}

/** One request the MCP server saw. Records whether Authorization was sent, never its value. */
export interface McpRequest {
  at: number;
  method: string;
  path: string;
  authorization: boolean;
  status: number;
  /** JSON-RPC method(s) of a POST body, comma-separated for a batch. */
  rpcMethod?: string;
  /** Tool name of a `tools/call`. */
  tool?: string;
}

export interface McpExampleServer {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`; also the RFC 8707 resource and token audience. */
  readonly url: string;
  readonly origin: string;
  readonly resourceMetadataUrl: string;
  readonly requests: McpRequest[];
  /** Sessions made and not yet ended by a DELETE (always 0 without `sessions`). */
  openSessions(): number;
  close(): Promise<void>;
}

type Middleware = (req: any, res: any, next: (error?: unknown) => void) => unknown;

/** Runs an express-style middleware on plain node objects; resolves true when it called next(). */
function runMiddleware(middleware: Middleware, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const shim = {
      set(name: string, value: string) {
        res.setHeader(name, value);
        return shim;
      },
      status(code: number) {
        res.statusCode = code;
        return shim;
      },
      json(body: unknown) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(body));
        resolve(false);
        return shim;
      },
    };
    Promise.resolve(middleware(req, shim, (error) => (error ? reject(error) : resolve(true)))).catch(reject);
  });
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** Verifies JWT access tokens (RFC 9068) against the IdP's JWKS: issuer, audience, expiry. */
function jwtVerifier(issuer: string, jwksUri: string, audience: string): OAuthTokenVerifier {
  // No cooldown: an IdP restarted with fresh keys (new kid) must be picked up at once.
  const jwks = createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: 0 });
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, jwks, { issuer, audience }));
      } catch (error) {
        if (error instanceof joseErrors.JOSEError && !(error instanceof joseErrors.JWKSTimeout)) {
          throw new InvalidTokenError(`Invalid token: ${error.code}`);
        }
        throw new ServerError('Could not fetch the issuer JWKS');
      }
      const scope = typeof payload.scope === 'string' ? payload.scope : '';
      return {
        token,
        clientId: String(payload.client_id ?? payload.azp ?? ''),
        scopes: scope.split(' ').filter(Boolean),
        expiresAt: typeof payload.exp === 'number' ? payload.exp : undefined,
        resource: new URL(audience),
        extra: { sub: payload.sub },
      };
    },
  };
}

/** Tool names called by a JSON-RPC message or batch. */
function calledTools(messages: unknown[]): string[] {
  return messages.flatMap((message: any) =>
    message?.method === 'tools/call' && typeof message.params?.name === 'string' ? [message.params.name] : [],
  );
}

/**
 * Starts the example MCP server on 127.0.0.1 with the endpoint at `/mcp`.
 * @see RFC 9728 (protected-resource metadata), RFC 6750 §3 (WWW-Authenticate)
 */
export async function startMcpServer(options: McpServerOptions = {}): Promise<McpExampleServer> {
  const auth = options.auth ?? true;
  if (auth && !options.issuer) throw new Error('startMcpServer: issuer is required unless auth is false');
  const requiredScopes = options.requiredScopes ?? ['mcp:read'];
  const toolScopes = options.toolScopes ?? DEFAULT_TOOL_SCOPES;
  const requests: McpRequest[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const loopback = await listenOnLoopback(options.port);
  const server = loopback.server;
  const origin = `http://127.0.0.1:${loopback.port}`;
  const url = `${origin}/mcp`;
  const resourceMetadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const metadata = {
    resource: url,
    authorization_servers: options.issuer ? [options.issuer] : [],
    scopes_supported: options.scopesSupported ?? ['mcp:read', 'mcp:write', 'mcp:admin'],
    bearer_methods_supported: ['header'],
    resource_name: 'mcptest example MCP server',
  };

  const verifier = auth
    ? jwtVerifier(options.issuer!, options.jwksUri ?? `${options.issuer}/jwks`, url)
    : undefined;
  const guards = new Map<string, Middleware>();
  /** One bearer middleware per scope set, so its 401/403 names exactly the scopes needed. */
  function guardFor(scopes: string[]): Middleware {
    const key = scopes.join(' ');
    let guard = guards.get(key);
    if (!guard) {
      guard = requireBearerAuth({
        verifier: verifier!,
        requiredScopes: scopes,
        resourceMetadataUrl,
      }) as Middleware;
      guards.set(key, guard);
    }
    return guard;
  }

  async function handleMcp(req: IncomingMessage, res: ServerResponse, entry: McpRequest): Promise<void> {
    let body: unknown;
    if (req.method === 'POST') {
      try {
        body = await readJson(req);
      } catch {
        sendJson(res, 400, { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
        return;
      }
      const messages = Array.isArray(body) ? body : [body];
      entry.rpcMethod = messages.map((message: any) => String(message?.method ?? '')).join(',') || undefined;
      entry.tool = calledTools(messages).join(',') || undefined;
    }
    if (auth) {
      const messages = Array.isArray(body) ? body : [body];
      const scopes = [
        ...new Set([...requiredScopes, ...calledTools(messages).flatMap((t) => toolScopes[t] ?? [])]),
      ];
      if (!(await runMiddleware(guardFor(scopes), req, res))) return;
    }
    if (options.sessions && req.method !== 'GET') {
      await handleSession(req, res, body);
      return;
    }
    if (req.method !== 'POST') {
      // Stateless server: no standalone SSE stream and no sessions to delete.
      sendJson(
        res,
        405,
        { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null },
        {
          allow: 'POST',
        },
      );
      return;
    }
    const mcp = createExampleMcpServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  /** A request of a session (or the initialize that makes one); the SDK transport answers DELETE. */
  async function handleSession(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const transport = sessions.get(id);
      if (!transport) {
        sendJson(res, 404, {
          jsonrpc: '2.0',
          error: { code: -32001, message: 'Session not found' },
          id: null,
        });
        return;
      }
      await transport.handleRequest(req, res, body);
      return;
    }
    const mcp = createExampleMcpServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, transport);
      },
      onsessionclosed: (sessionId) => {
        sessions.delete(sessionId);
        void mcp.close();
      },
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', origin).pathname;
    const entry: McpRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path,
      authorization: req.headers.authorization !== undefined,
      status: 0,
    };
    requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    const handled = (async () => {
      if (
        auth &&
        req.method === 'GET' &&
        (path === '/.well-known/oauth-protected-resource/mcp' ||
          path === '/.well-known/oauth-protected-resource')
      ) {
        sendJson(res, 200, metadata, { 'access-control-allow-origin': '*' });
      } else if (path === '/mcp') {
        await handleMcp(req, res, entry);
      } else {
        sendJson(res, 404, { error: 'not_found' });
      }
    })();
    handled.catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(error) });
      else res.destroy();
    });
  });

  return {
    url,
    origin,
    resourceMetadataUrl,
    requests,
    openSessions: () => sessions.size,
    close: () => loopback.close(),
  };
}
