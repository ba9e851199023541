/**
 * Runs the example: the test IdP plus the OAuth-protected MCP server, until SIGTERM/SIGINT.
 *
 *   node dist/examples/oauth-server/main.js [--port-idp N] [--port-mcp N]
 *
 * Prints one JSON line `{"issuer":...,"mcpUrl":...,"clientId":...}` on stdout once ready. The
 * pre-registered client-credentials client's secret comes from EXAMPLE_CLIENT_SECRET (a fixed demo
 * value when unset).
 */
import { parseArgs } from 'node:util';
import { startIdp, clientCredentialsClient } from './idp.js';
import { startMcpServer } from './mcp-server.js';

const CLIENT_ID = 'example-ci-client';
const SECRET_ENV = 'EXAMPLE_CLIENT_SECRET';
const DEMO_SECRET = 'example-demo-secret-not-for-production';

const { values } = parseArgs({
  options: { 'port-idp': { type: 'string' }, 'port-mcp': { type: 'string' } },
});

function port(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${flag} must be a port number, got ${value}`);
  return n;
}

const secret = process.env[SECRET_ENV];
if (!secret) process.stderr.write(`${SECRET_ENV} is not set; using the built-in demo secret\n`);

const idp = await startIdp({
  port: port(values['port-idp'], '--port-idp'),
  clients: [clientCredentialsClient(CLIENT_ID, secret || DEMO_SECRET, 'mcp:read mcp:write mcp:admin')],
});
const mcp = await startMcpServer({ issuer: idp.issuer, port: port(values['port-mcp'], '--port-mcp') });
process.stdout.write(`${JSON.stringify({ issuer: idp.issuer, mcpUrl: mcp.url, clientId: CLIENT_ID })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all([mcp.close(), idp.close()]);
}
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
