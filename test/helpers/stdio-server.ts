import fs from 'node:fs';
import path from 'node:path';

/**
 * A real SDK MCP server over stdio, written as a script into `dir`: `handlers` is module code that
 * sees `server` (an SDK `Server` named `name`, declaring `capabilities`) and every export of the
 * SDK's types.js as `types`. Returns the `--command`/`--arg` flags that start it (the script's
 * path is the last one).
 */
export function writeStdioServer(
  dir: string,
  name: string,
  capabilities: Record<string, unknown>,
  handlers: string,
): string[] {
  const sdk = (p: string) => JSON.stringify(import.meta.resolve(`@modelcontextprotocol/sdk/${p}`));
  const script = path.join(dir, `${name}.mjs`);
  fs.writeFileSync(
    script,
    `import { Server } from ${sdk('server/index.js')};
import { StdioServerTransport } from ${sdk('server/stdio.js')};
import * as types from ${sdk('types.js')};
const server = new Server({ name: ${JSON.stringify(name)}, version: '1.0.0' }, { capabilities: ${JSON.stringify(capabilities)} });
${handlers}
await server.connect(new StdioServerTransport());
`,
  );
  return ['--command', process.execPath, '--arg', script];
}
