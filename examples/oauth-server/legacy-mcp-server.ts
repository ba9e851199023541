/**
 * The legacy-only example MCP server (`era: 'legacy'`): `/mcp` answered by the legacy SDK
 * (`@modelcontextprotocol/sdk` 1.x), which speaks only the 2025 era, so a 2026-07-28 client is
 * refused. Bearer tokens are checked by that SDK's `requireBearerAuth` (401 / 403 with
 * `WWW-Authenticate: Bearer ... resource_metadata=...`), one middleware per scope set so a 403 names
 * exactly the base + per-tool scopes. Answers over SSE. Stateless by default; with `sessions` it
 * keeps a session per client, so the asking tools can send their requests to the client.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidTokenError, ServerError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createToolState } from './catalogue.js';
import { calledTools, type HttpFront, type McpExchange, sendJson } from './http-front.js';
import { jwtCheck, TokenCheckError } from './jwt-check.js';
import { createLegacyExampleMcpServer } from './legacy-tools.js';

export interface LegacyServeOptions {
  auth: boolean;
  issuer?: string;
  jwksUri: string;
  requiredScopes: string[];
  toolScopes: Readonly<Record<string, string[]>>;
  sessions: boolean;
  interactive: boolean;
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

function legacyVerifier(issuer: string, jwksUri: string, audience: string): OAuthTokenVerifier {
  const check = jwtCheck(issuer, jwksUri, audience);
  return {
    async verifyAccessToken(token) {
      try {
        return await check(token);
      } catch (error) {
        if (error instanceof TokenCheckError && error.kind === 'invalid')
          throw new InvalidTokenError(error.message);
        throw new ServerError(error instanceof Error ? error.message : String(error));
      }
    },
  };
}

/** Serves `/mcp` of `front` with the SDK 1.x; returns the count of open sessions and a closer. */
export function serveLegacy(
  front: HttpFront,
  options: LegacyServeOptions,
): { openSessions(): number; close(): Promise<void> } {
  const sessions = new Map<
    string,
    { transport: StreamableHTTPServerTransport; mcp: { sendToolListChanged(): void } }
  >();
  const state = createToolState();
  const verifier = options.auth ? legacyVerifier(options.issuer!, options.jwksUri, front.url) : undefined;
  const guards = new Map<string, Middleware>();
  /** One bearer middleware per scope set, so its 401/403 names exactly the scopes needed. */
  function guardFor(scopes: string[]): Middleware {
    const key = scopes.join(' ');
    let guard = guards.get(key);
    if (!guard) {
      guard = requireBearerAuth({
        verifier: verifier!,
        requiredScopes: scopes,
        resourceMetadataUrl: front.resourceMetadataUrl,
      }) as Middleware;
      guards.set(key, guard);
    }
    return guard;
  }

  function newServer(sessionId?: () => string | undefined) {
    return createLegacyExampleMcpServer({
      state,
      interactive: options.interactive,
      onToolsChanged: () => {
        const own = sessionId?.();
        for (const [id, session] of sessions) if (id !== own) session.mcp.sendToolListChanged();
      },
    });
  }

  async function handleSession({ req, res, parsed }: McpExchange): Promise<void> {
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const session = sessions.get(id);
      if (!session) {
        sendJson(res, 404, {
          jsonrpc: '2.0',
          error: { code: -32001, message: 'Session not found' },
          id: null,
        });
        return;
      }
      await session.transport.handleRequest(req, res, parsed);
      return;
    }
    let transport: StreamableHTTPServerTransport | undefined;
    const mcp = newServer(() => transport?.sessionId);
    transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, { transport: transport!, mcp });
      },
      onsessionclosed: (sessionId) => {
        sessions.delete(sessionId);
        void mcp.close();
      },
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, parsed);
  }

  front.serve(async (exchange) => {
    const { req, res, parsed } = exchange;
    if (options.auth) {
      const messages = Array.isArray(parsed) ? parsed : [parsed];
      const scopes = [
        ...new Set([
          ...options.requiredScopes,
          ...calledTools(messages).flatMap((t) => options.toolScopes[t] ?? []),
        ]),
      ];
      if (!(await runMiddleware(guardFor(scopes), req, res))) return;
    }
    if (options.sessions) {
      await handleSession(exchange);
      return;
    }
    if (req.method !== 'POST') {
      // Stateless server: no standalone SSE stream and no sessions to delete.
      sendJson(
        res,
        405,
        { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null },
        { allow: 'POST' },
      );
      return;
    }
    const mcp = newServer();
    // SSE responses (the SDK's default), so change_tools can tell the caller on its call's stream.
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, parsed);
  });

  return {
    openSessions: () => sessions.size,
    close: async () => {
      await Promise.all([...sessions.values()].map((s) => s.transport.close()));
    },
  };
}
