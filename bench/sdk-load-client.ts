/**
 * The plainest SDK client doing what `mcptest load` does, for the ratio in `npm run bench`:
 * `CONNECTIONS` SDK 2.x clients over Streamable HTTP with a fixed bearer token, `WORKERS`
 * concurrent callers of one tool, `REQUESTS` calls in all. Prints `{ elapsedMs, p50, p99 }`.
 * Usage: node sdk-load-client.js URL TOOL ARGS_JSON REQUESTS WORKERS CONNECTIONS  (token in BENCH_TOKEN)
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const [url, tool, argsJson, requests, workers, connections] = process.argv.slice(2);
const total = Number(requests);
const headers = { authorization: `Bearer ${process.env.BENCH_TOKEN}` };
const clients = await Promise.all(
  Array.from({ length: Number(connections) }, async () => {
    const client = new Client({ name: 'sdk-load', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
    return client;
  }),
);
const args = JSON.parse(argsJson);
const latencies: number[] = [];
let sent = 0;
const start = performance.now();
await Promise.all(
  Array.from({ length: Number(workers) }, async (_, i) => {
    const client = clients[i % clients.length];
    while (sent < total) {
      sent++;
      const t0 = performance.now();
      await client.callTool({ name: tool, arguments: args });
      latencies.push(performance.now() - t0);
    }
  }),
);
const elapsedMs = performance.now() - start;
latencies.sort((a, b) => a - b);
const at = (p: number) =>
  latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)];
process.stdout.write(`${JSON.stringify({ elapsedMs, p50: at(50), p99: at(99), calls: latencies.length })}\n`);
await Promise.all(clients.map((c) => c.close()));
