/**
 * One load-generating process for the token-fetch benchmark, so that the clients' own event
 * loop is not measured as daemon latency. Usage:
 *   node load-worker.js <socket> <serverUrl> <clients> <requestsPerClient> <periodMs>
 * periodMs 0 = closed loop (next request as soon as the answer arrives). Prints
 * `{ latencies (ms), seconds }`, timed from the first measured request (after warm-up).
 */
import { DaemonClient } from '../client/daemon-client.js';

const [socket, serverUrl, clientsArg, perClientArg, periodArg] = process.argv.slice(2);
const clients = Array.from({ length: Number(clientsArg) }, () => new DaemonClient(socket));
const perClient = Number(perClientArg);
const period = Number(periodArg);
for (const c of clients) await c.getToken({ serverUrl }); // warm the connections
const latencies: number[] = [];
const started = performance.now();
await Promise.all(
  clients.map(async (c, i) => {
    if (period > 0) await new Promise((r) => setTimeout(r, (i * period) / clients.length));
    for (let k = 0; k < perClient; k++) {
      const due = performance.now() + period;
      const t0 = performance.now();
      await c.getToken({ serverUrl });
      latencies.push(performance.now() - t0);
      if (period > 0) await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
await Promise.all(clients.map((c) => c.close()));
process.stdout.write(JSON.stringify({ latencies, seconds }));
