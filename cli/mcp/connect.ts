/**
 * The one way mcptest connects to an MCP server, used by every surface (tools, call, doctor, the
 * suite runner, the agent server): `connectToServer` returns an `McpConnection` on the SDK 2.x
 * client, in the era the target asks for (`--protocol`, era.ts). HTTP targets go through
 * http-connect.ts (Streamable HTTP, the HTTP+SSE fallback) on the authenticated fetch
 * (auth-fetch.ts) with step-up (step-up.ts); stdio targets through stdio-connect.ts. What the
 * server asks for on the way is answered by server-requests.ts and recorded in `asks`.
 * @see MCP spec 2026-07-28 and 2025-11-25 "Transports", "Authorization"
 */
import type { Client, Implementation, ServerCapabilities } from '@modelcontextprotocol/client';
import { McptestError } from '../../shared/errors.js';
import { assertSecureUrl, canonicalServerUrl } from '../../shared/server-url.js';
import { buildAuthError } from './auth-error.js';
import { authFailure, makeAuthFetch, type Refusal } from './auth-fetch.js';
import { resolveTokenSource } from './credentials.js';
import type { DiscoverInfo } from './era.js';
import { explainError } from './explain-error.js';
import { connectHttp } from './http-connect.js';
import { probeEndpoint } from './probe.js';
import { newStepUps, stepUpRequiredError, stepUpRunner } from './step-up.js';
import type { Ask, ConnectIo, ProtocolEra, ServerTarget } from './target.js';

export type { DiscoverInfo } from './era.js';

export type AuthSource = 'bearer_token_env' | 'client_credentials' | 'login' | 'none';

export interface McpConnection {
  client: Client;
  target: ServerTarget;
  /** Canonical server URL; null for stdio. */
  serverUrl: string | null;
  authSource: AuthSource;
  transport: 'streamable-http' | 'sse' | 'stdio';
  serverInfo: Implementation | undefined;
  capabilities: ServerCapabilities | undefined;
  protocolVersion: string | undefined;
  /** The era this connection speaks: `modern` (2026-07-28, stateless) or `legacy` (initialize). */
  era: ProtocolEra;
  /** The server's `server/discover` answer (modern era, or a dual-era server probed by `auto`). */
  discover: DiscoverInfo | undefined;
  /** What the server asked for on this connection so far, in order (see `ConnectIo.answers`). */
  asks: Ask[];
  /**
   * Turns an error thrown by `client` (a 401/403 on a later request, a JSON-RPC error, a network
   * failure) into an McptestError: the auth error when the server refused us.
   */
  explain(err: unknown): McptestError;
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** Connects in the asked era; throws the auth error, protocol_unsupported, connection_failed, server_error or timeout. */
export async function connectToServer(target: ServerTarget, io: ConnectIo): Promise<McpConnection> {
  const timeoutMs = target.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const asks: Ask[] = [];
  if (target.command) {
    const { connectStdio } = await import('./stdio-connect.js');
    const c = await connectStdio(target, io, asks, timeoutMs);
    return {
      client: c.client,
      target,
      serverUrl: null,
      authSource: 'none',
      transport: 'stdio',
      serverInfo: c.client.getServerVersion(),
      capabilities: c.client.getServerCapabilities(),
      protocolVersion: c.protocolVersion,
      era: c.era,
      discover: c.discover,
      asks,
      explain: c.explain,
      close: c.close,
    };
  }
  if (!target.url) {
    throw new McptestError('invalid_request', 'no server given: pass --url URL or --command CMD', {
      hint: 'mcptest tools --url https://mcp.example.com/mcp',
    });
  }
  assertSecureUrl(target.url, 'server URL');
  const serverUrl = canonicalServerUrl(target.url);
  const endpoint = new URL(target.url);
  endpoint.hash = '';
  const source = await resolveTokenSource(target, serverUrl, io);
  const failure = (status: number | null, www: string | null, fp: string | null, tokenSent: boolean) =>
    buildAuthError(authFailure(source, serverUrl, status, www, fp, tokenSent));

  if (source.missing === 'env_unset') {
    // Nothing to send; still ask the server, so the error says what it advertises.
    await source.close();
    const probe = await probeEndpoint(endpoint.href, {
      headers: target.headers,
      timeoutMs: target.timeoutMs,
      signal: io.signal,
    }).catch(() => null);
    const refused = probe && (probe.status === 401 || probe.status === 403);
    throw failure(refused ? probe.status : null, refused ? probe.wwwAuthenticate : null, null, false);
  }

  const state: { refusal: Refusal | null } = { refusal: null };
  const stepUps = newStepUps();
  const explain = (err: unknown): McptestError => {
    if (state.refusal) {
      const r = state.refusal;
      state.refusal = null;
      if (r.status === 403 && source.input === 'login') {
        const stepUp = stepUpRequiredError(
          serverUrl,
          r.wwwAuthenticate,
          source.grantedScope ?? null,
          stepUps.count,
        );
        if (stepUp) return stepUp;
      }
      return failure(r.status, r.wwwAuthenticate, r.fingerprint, r.fingerprint !== null);
    }
    return explainError(err, serverUrl, `mcptest doctor --url ${serverUrl}`);
  };
  let http: Awaited<ReturnType<typeof connectHttp>>;
  try {
    http = await connectHttp({
      target,
      io,
      endpoint,
      serverUrl,
      fetch: makeAuthFetch(endpoint, source, state, target.headers ?? {}),
      state,
      stepUp: stepUpRunner(serverUrl, source, state, stepUps, io),
      asks,
      explain,
      timeoutMs,
    });
  } catch (err) {
    await source.close();
    throw err;
  }
  return {
    client: http.client,
    target,
    serverUrl,
    authSource: source.input,
    transport: http.transport,
    serverInfo: http.client.getServerVersion(),
    capabilities: http.client.getServerCapabilities(),
    protocolVersion: http.protocolVersion,
    era: http.era,
    discover: http.discover,
    asks,
    explain,
    close: async () => {
      await http.close();
      await source.close();
    },
  };
}
