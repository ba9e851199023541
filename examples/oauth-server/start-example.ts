/**
 * The example as one call: the test IdP with the pre-registered client-credentials client
 * `example-ci-client`, plus the OAuth-protected MCP server trusting it, in the era asked for
 * (`dual` by default). Used by `examples/run-example.ts` (and handy in tests). main.ts runs the
 * same setup as a process.
 */
import { type Idp, startIdp, clientCredentialsClient } from './idp.js';
import { type ExampleEra, type McpExampleServer, startMcpServer } from './mcp-server.js';

export const EXAMPLE_CLIENT_ID = 'example-ci-client';
export const EXAMPLE_SECRET_ENV = 'EXAMPLE_CLIENT_SECRET';

export interface ExampleServers {
  idp: Idp;
  mcp: McpExampleServer;
  clientId: string;
  close(): Promise<void>;
}

/** Starts the IdP and the MCP server on 127.0.0.1 (port 0 unless given). */
export async function startExample(options: {
  clientSecret: string;
  idpPort?: number;
  mcpPort?: number;
  accessTokenTtl?: number;
  /** `dual` (default), `modern` (2026-07-28 only) or `legacy` (SDK 1.x, 2025 only). */
  era?: ExampleEra;
  /** 2025-era sessions (see `McpServerOptions.sessions`); default false. */
  sessions?: boolean;
  /** The interactive tools (see `McpServerOptions.interactiveTools`); default false. */
  interactiveTools?: boolean;
}): Promise<ExampleServers> {
  const idp = await startIdp({
    port: options.idpPort ?? 0,
    ...(options.accessTokenTtl ? { accessTokenTtl: options.accessTokenTtl } : {}),
    clients: [
      clientCredentialsClient(EXAMPLE_CLIENT_ID, options.clientSecret, 'mcp:read mcp:write mcp:admin'),
    ],
  });
  let mcp: McpExampleServer;
  try {
    mcp = await startMcpServer({
      issuer: idp.issuer,
      port: options.mcpPort ?? 0,
      era: options.era ?? 'dual',
      sessions: options.sessions ?? false,
      interactiveTools: options.interactiveTools ?? false,
    });
  } catch (err) {
    await idp.close();
    throw err;
  }
  return {
    idp,
    mcp,
    clientId: EXAMPLE_CLIENT_ID,
    close: async () => {
      await Promise.all([mcp.close(), idp.close()]);
    },
  };
}
