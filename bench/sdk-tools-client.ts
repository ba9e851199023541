/**
 * The plainest SDK script doing what `mcptest tools --url URL --bearer-token-env VAR` does, for
 * the start-up ratio in `npm run bench`: one SDK 2.x client over Streamable HTTP with a fixed
 * bearer token, `tools/list`, the names printed, close.
 * Usage: node sdk-tools-client.js URL  (token in BENCH_TOKEN)
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const client = new Client({ name: 'sdk-tools', version: '1.0.0' });
await client.connect(
  new StreamableHTTPClientTransport(new URL(process.argv[2]), {
    requestInit: { headers: { authorization: `Bearer ${process.env.BENCH_TOKEN}` } },
  }),
);
const { tools } = await client.listTools();
process.stdout.write(`${tools.map((t) => t.name).join('\n')}\n`);
await client.close();
