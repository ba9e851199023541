/**
 * The example MCP server over stdio (no auth):
 *
 *   node dist/examples/oauth-server/stdio-server.js [--era dual|modern|legacy] [--interactive-tools]
 *
 * `dual` (the default) is the SDK 2.x `serveStdio` entry serving whichever era the client opens
 * with; `modern` refuses a 2025 opening (`legacy: 'reject'`); `legacy` is the SDK 1.x server,
 * which knows only the 2025 handshake. `--interactive-tools` adds ask_name, summarize, change_tools
 * and bonus (see tools.ts).
 */
import { parseArgs } from 'node:util';
import { StdioServerTransport as LegacyStdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { createToolState } from './catalogue.js';
import { createLegacyExampleMcpServer } from './legacy-tools.js';
import { EXAMPLE_ERAS, type ExampleEra } from './mcp-server.js';
import { createAskStateCodec, createExampleMcpServer } from './tools.js';

const { values } = parseArgs({
  options: {
    era: { type: 'string', default: 'dual' },
    'interactive-tools': { type: 'boolean', default: false },
  },
});
const interactive = values['interactive-tools'];
const era = values.era as ExampleEra;
if (!EXAMPLE_ERAS.includes(era)) {
  process.stderr.write(`--era must be one of ${EXAMPLE_ERAS.join(', ')}, got ${values.era}\n`);
  process.exit(2);
}

if (era === 'legacy') {
  await createLegacyExampleMcpServer({ interactive }).connect(new LegacyStdioServerTransport());
} else {
  const state = createToolState();
  const requestState = createAskStateCodec();
  serveStdio((ctx) => createExampleMcpServer({ era: ctx.era, interactive, state, requestState }), {
    legacy: era === 'modern' ? 'reject' : 'serve',
  });
}
