/**
 * A real MCP server (Streamable HTTP) on loopback, protected by bearer JWTs from the test IdP, with
 * RFC 9728 protected-resource metadata, in the era asked for: `dual` (the default, like a real
 * `@modelcontextprotocol/server` 2.x deployment: 2026-07-28 clients statelessly, 2025 clients
 * through the stateless legacy fallback), `modern` (2026-07-28 only, `legacy: 'reject'`) or
 * `legacy` (`@modelcontextprotocol/sdk` 1.x, 2025 only).
 */
import { DEFAULT_TOOL_SCOPES } from './catalogue.js';
import { serveDualEra } from './dual-era-server.js';
import { startHttpFront } from './http-front.js';
import { serveLegacy } from './legacy-mcp-server.js';

export type { McpRequest } from './http-front.js';
import type { McpRequest } from './http-front.js';

/** Which protocol eras the example serves. */
export type ExampleEra = 'dual' | 'modern' | 'legacy';
export const EXAMPLE_ERAS: readonly ExampleEra[] = ['dual', 'modern', 'legacy'];

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
  /** The protocol era(s) served; default `dual`. */
  era?: ExampleEra;
  /**
   * Keep a session per 2025-era client (`Mcp-Session-Id`, ended by DELETE) instead of serving each
   * request on its own; default false. Needed for the asking tools (`ask_name`, `summarize`) to
   * reach a 2025 client over HTTP. Not with era `modern` (that era has no sessions).
   */
  sessions?: boolean;
  /**
   * Also serve the interactive tools: `ask_name` (asks the user by elicitation), `summarize` (asks
   * the client's model by sampling), `change_tools` (adds or removes `bonus` and sends
   * `notifications/tools/list_changed`) and `bonus`; default false.
   */
  interactiveTools?: boolean;
}

export interface McpExampleServer {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`; also the RFC 8707 resource and token audience. */
  readonly url: string;
  readonly origin: string;
  readonly resourceMetadataUrl: string;
  readonly era: ExampleEra;
  readonly requests: McpRequest[];
  /** Sessions made and not yet ended by a DELETE (always 0 without `sessions`). */
  openSessions(): number;
  close(): Promise<void>;
}

/**
 * Starts the example MCP server on 127.0.0.1 with the endpoint at `/mcp`.
 * @see RFC 9728 (protected-resource metadata), RFC 6750 §3 (WWW-Authenticate)
 */
export async function startMcpServer(options: McpServerOptions = {}): Promise<McpExampleServer> {
  const auth = options.auth ?? true;
  if (auth && !options.issuer) throw new Error('startMcpServer: issuer is required unless auth is false');
  const era = options.era ?? 'dual';
  if (!EXAMPLE_ERAS.includes(era))
    throw new Error(`startMcpServer: era must be one of ${EXAMPLE_ERAS.join(', ')}, got ${era}`);
  const front = await startHttpFront({
    port: options.port,
    auth,
    issuer: options.issuer,
    scopesSupported: options.scopesSupported,
  });
  const serveOptions = {
    auth,
    issuer: options.issuer,
    jwksUri: options.jwksUri ?? `${options.issuer}/jwks`,
    requiredScopes: options.requiredScopes ?? ['mcp:read'],
    toolScopes: options.toolScopes ?? DEFAULT_TOOL_SCOPES,
    sessions: options.sessions ?? false,
    interactive: options.interactiveTools ?? false,
  };
  let served: { openSessions(): number; close(): Promise<void> };
  try {
    served =
      era === 'legacy' ? serveLegacy(front, serveOptions) : serveDualEra(front, { ...serveOptions, era });
  } catch (error) {
    await front.close();
    throw error;
  }
  return {
    url: front.url,
    origin: front.origin,
    resourceMetadataUrl: front.resourceMetadataUrl,
    era,
    requests: front.requests,
    openSessions: () => served.openSessions(),
    close: async () => {
      await served.close().catch(() => undefined);
      await front.close();
    },
  };
}
