/**
 * The stdio twin of the lax test server (lax-server.ts), serving both eras:
 * `node dist/test/helpers/lax-stdio-server.js [--crash]` (`--crash` adds the tool that exits on bad input).
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { laxServer } from './lax-server.js';

serveStdio(() => laxServer({ crash: process.argv.includes('--crash') }));
