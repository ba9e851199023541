/**
 * A stdio MCP server whose tool answers are hostile HTML, for the HTML report's escaping
 * (`node dist/test/helpers/hostile-report-server.js`, both eras). Tools:
 *
 * - `hostile`: a tool error (`isError: true`) whose text is a `<script>`, an `<img onerror>` and a
 *   closing `</pre>`, the markup a report that does not escape would run.
 * - `sum`: `{ sum: 3 }` as text, for a passing test and a snapshot diff.
 */
import { fileURLToPath } from 'node:url';
import { Server } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

/** What `hostile` answers: a page that ran it would set the title and log to the console. */
export const HOSTILE_TEXT =
  "</pre></code><script>document.title='pwned';console.error('pwned by script')</script><img src=x onerror=\"console.error('pwned by img')\">";

const TOOLS = [
  { name: 'hostile', description: 'Answers a tool error made of HTML.' },
  { name: 'sum', description: 'Answers {"sum":3}.' },
].map((t) => ({ ...t, inputSchema: { type: 'object' as const } }));

function hostileServer(): Server {
  const server = new Server(
    { name: 'mcptest-hostile-report', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler('tools/list', async () => ({ tools: TOOLS }) as any);
  server.setRequestHandler('tools/call', async (request) => {
    if (request.params.name === 'hostile')
      return { content: [{ type: 'text', text: HOSTILE_TEXT }], isError: true } as any;
    return { content: [{ type: 'text', text: JSON.stringify({ sum: 3 }, null, 2) }] } as any;
  });
  return server;
}

// Only when run as a server: the test imports HOSTILE_TEXT from this file.
if (process.argv[1] === fileURLToPath(import.meta.url))
  serveStdio(() => hostileServer(), { legacy: 'serve' });
