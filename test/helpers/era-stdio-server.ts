/**
 * The stdio twin of the era test servers (era-servers.ts): `node dist/test/helpers/era-stdio-server.js
 * --era modern|dual|legacy`. `modern` is SDK 2.x `serveStdio` with `legacy: 'reject'`, `dual` the
 * same serving both eras, `legacy` SDK 1.x. Same tools as the HTTP servers (era-tools.ts).
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { type AddedTools, legacyEraServer, modernEraServer } from './era-tools.js';

const at = process.argv.indexOf('--era');
const kind = at >= 0 ? process.argv[at + 1] : undefined;
const added: AddedTools = { names: [] };
if (kind === 'legacy') {
  const server = legacyEraServer(added);
  await server.connect(new StdioServerTransport());
} else if (kind === 'modern' || kind === 'dual') {
  serveStdio(({ era }) => modernEraServer(era, added), { legacy: kind === 'modern' ? 'reject' : 'serve' });
} else {
  process.stderr.write('usage: era-stdio-server --era modern|dual|legacy\n');
  process.exit(2);
}
