/**
 * The example MCP server on `@modelcontextprotocol/server` 2.x, as a real v2 deployment is: the
 * SDK's `createMcpHandler` serves 2026-07-28 clients statelessly (one instance per request) and,
 * in `dual` era, 2025 clients through its stateless legacy fallback; `modern` era is
 * `legacy: 'reject'`. With `sessions`, 2025 traffic goes instead (routed by `isLegacyRequest`) to a
 * session per client, which is what lets the asking tools reach a 2025 client over HTTP.
 * Bearer tokens: the SDK's `requireBearerAuth` gate (issuer, audience = the server URL, expiry,
 * base scopes; 401 / 403 with `resource_metadata`), and per-tool scopes as the SDK's scope
 * challenges on the tools (403 `insufficient_scope` naming base + tool scopes).
 */
import { randomUUID } from 'node:crypto';
import {
  type AuthInfo,
  createMcpHandler,
  isLegacyRequest,
  type McpRequestContext,
  OAuthError,
  OAuthErrorCode,
  type OAuthTokenVerifier,
  requireBearerAuth,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { createToolState } from './catalogue.js';
import type { HttpFront } from './http-front.js';
import { jwtCheck, TokenCheckError } from './jwt-check.js';
import { sendWebResponse, toWebRequest } from './node-web.js';
import { createAskStateCodec, createExampleMcpServer } from './tools.js';

export interface DualServeOptions {
  /** `dual`: both eras; `modern`: 2026-07-28 only (`legacy: 'reject'`). */
  era: 'dual' | 'modern';
  auth: boolean;
  issuer?: string;
  jwksUri: string;
  requiredScopes: string[];
  toolScopes: Readonly<Record<string, string[]>>;
  sessions: boolean;
  interactive: boolean;
}

function verifier(issuer: string, jwksUri: string, audience: string): OAuthTokenVerifier {
  const check = jwtCheck(issuer, jwksUri, audience);
  return {
    async verifyAccessToken(token) {
      try {
        return await check(token);
      } catch (error) {
        if (error instanceof TokenCheckError && error.kind === 'invalid') {
          throw new OAuthError(OAuthErrorCode.InvalidToken, error.message);
        }
        throw new OAuthError(
          OAuthErrorCode.ServerError,
          error instanceof Error ? error.message : String(error),
        );
      }
    },
  };
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  mcp: { sendToolListChanged(): void; close(): Promise<void> };
}

/** Serves `/mcp` of `front` with the SDK 2.x; returns the count of open (2025) sessions and a closer. */
export function serveDualEra(
  front: HttpFront,
  options: DualServeOptions,
): { openSessions(): number; close(): Promise<void> } {
  if (options.era === 'modern' && options.sessions) {
    throw new Error('startMcpServer: sessions are a 2025-era feature; era "modern" has none');
  }
  const state = createToolState();
  const requestState = createAskStateCodec();
  const sessions = new Map<string, Session>();
  const gate = options.auth
    ? requireBearerAuth({
        verifier: verifier(options.issuer!, options.jwksUri, front.url),
        requiredScopes: options.requiredScopes,
        resourceMetadataUrl: front.resourceMetadataUrl,
        expectedResource: new URL(front.url),
      })
    : undefined;

  const factory = (ctx: McpRequestContext) =>
    createExampleMcpServer({
      era: ctx.era,
      interactive: options.interactive,
      state,
      requestState,
      requiredScopes: options.auth ? options.requiredScopes : [],
      toolScopes: options.auth ? options.toolScopes : {},
      onToolsChanged: (call) => {
        // Modern clients hear it on their subscriptions/listen streams, 2025 sessions on their GET stream.
        handler.notify.toolsChanged();
        for (const [id, session] of sessions) if (id !== call.sessionId) session.mcp.sendToolListChanged();
      },
    });
  const handler = createMcpHandler(factory, {
    legacy: options.era === 'modern' ? 'reject' : 'stateless',
  });

  async function serveSession(request: Request, authInfo: AuthInfo | undefined, parsedBody: unknown) {
    const id = request.headers.get('mcp-session-id');
    const extra = { ...(authInfo ? { authInfo } : {}), ...(parsedBody !== undefined ? { parsedBody } : {}) };
    if (id) {
      const session = sessions.get(id);
      if (!session) {
        return Response.json(
          { jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null },
          { status: 404 },
        );
      }
      return session.transport.handleRequest(request, extra);
    }
    const mcp = await factory({ era: 'legacy', ...(authInfo ? { authInfo } : {}), requestInfo: request });
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, { transport, mcp });
      },
      onsessionclosed: (sessionId) => {
        sessions.delete(sessionId);
        void mcp.close();
      },
    });
    await mcp.connect(transport);
    return transport.handleRequest(request, extra);
  }

  front.serve(async ({ req, res, raw, parsed }) => {
    const request = toWebRequest(req, front.url, raw, res);
    let authInfo: AuthInfo | undefined;
    if (gate) {
      const verdict = await gate(request);
      if (verdict instanceof Response) {
        await sendWebResponse(res, verdict);
        return;
      }
      authInfo = verdict;
    }
    const response =
      options.sessions && (await isLegacyRequest(request, parsed))
        ? await serveSession(request, authInfo, parsed)
        : await handler.fetch(request, {
            ...(authInfo ? { authInfo } : {}),
            ...(parsed !== undefined ? { parsedBody: parsed } : {}),
          });
    await sendWebResponse(res, response);
  });

  return {
    openSessions: () => sessions.size,
    close: async () => {
      await Promise.all([...sessions.values()].map((s) => s.transport.close()));
      await handler.close();
    },
  };
}
