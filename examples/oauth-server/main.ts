/**
 * Runs the example: the test IdP plus the OAuth-protected MCP server, until SIGTERM/SIGINT.
 *
 *   node dist/examples/oauth-server/main.js [--port-idp N] [--port-mcp N]
 *       [--era dual|modern|legacy] [--sessions] [--interactive-tools]
 *
 * `--era`: `dual` (default) serves 2026-07-28 and 2025 clients, `modern` only 2026-07-28,
 * `legacy` only 2025 (SDK 1.x). `--sessions` keeps a session per 2025 client, which the asking
 * tools need to reach one over HTTP. `--interactive-tools` adds ask_name (elicitation), summarize
 * (sampling), change_tools (tools/list_changed) and bonus. Prints one JSON line
 * `{"issuer":...,"mcpUrl":...,"clientId":...,"era":...}` on stdout once ready. The pre-registered
 * client-credentials client's secret comes from EXAMPLE_CLIENT_SECRET (a fixed demo value when unset).
 */
import { parseArgs } from 'node:util';
import { EXAMPLE_ERAS, type ExampleEra } from './mcp-server.js';
import { EXAMPLE_CLIENT_ID, EXAMPLE_SECRET_ENV, startExample } from './start-example.js';

const DEMO_SECRET = 'example-demo-secret-not-for-production';

const { values } = parseArgs({
  options: {
    'port-idp': { type: 'string' },
    'port-mcp': { type: 'string' },
    era: { type: 'string', default: 'dual' },
    sessions: { type: 'boolean', default: false },
    'interactive-tools': { type: 'boolean', default: false },
  },
});

function port(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${flag} must be a port number, got ${value}`);
  return n;
}

const era = values.era as ExampleEra;
if (!EXAMPLE_ERAS.includes(era))
  throw new Error(`--era must be one of ${EXAMPLE_ERAS.join(', ')}, got ${values.era}`);

const secret = process.env[EXAMPLE_SECRET_ENV];
if (!secret) process.stderr.write(`${EXAMPLE_SECRET_ENV} is not set; using the built-in demo secret\n`);

const example = await startExample({
  clientSecret: secret || DEMO_SECRET,
  idpPort: port(values['port-idp'], '--port-idp'),
  mcpPort: port(values['port-mcp'], '--port-mcp'),
  era,
  sessions: values.sessions,
  interactiveTools: values['interactive-tools'],
});
process.stdout.write(
  `${JSON.stringify({ issuer: example.idp.issuer, mcpUrl: example.mcp.url, clientId: EXAMPLE_CLIENT_ID, era })}\n`,
);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await example.close();
}
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
