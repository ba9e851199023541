/**
 * The example MCP server over stdio (no auth): `node dist/examples/oauth-server/stdio-server.js`.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createExampleMcpServer } from './tools.js';

const server = createExampleMcpServer();
await server.connect(new StdioServerTransport());
