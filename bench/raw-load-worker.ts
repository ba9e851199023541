/**
 * One load-generating process for the token-fetch benchmark, speaking HTTP/1.1 on raw sockets:
 * each client is one keep-alive connection that writes a request prepared once and reads the
 * answer's head and body by hand. A generator built on node:http spends more CPU per request than
 * the daemon answering it, and on a 2-core machine it then measures itself. Every answer is
 * checked (status 200, a body with an access token); a failed one is counted, not timed. Usage:
 *   node raw-load-worker.js <socket> <serverUrl> <clients> <requestsPerClient> <periodMs>
 * periodMs 0 = closed loop (the next request as soon as the answer is in). With a period, each
 * client sends on a fixed schedule (a late answer makes the next request go at once, so the
 * achieved rate shows a generator or daemon that fell behind); a request is timed from the
 * moment it is written. Prints `{ latencies (ms), seconds, failed }`.
 */
import net from 'node:net';
import { versionTag } from '../shared/version.js';

const [socket, serverUrl, clientsArg, perClientArg, periodArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const perClient = Number(perClientArg);
const period = Number(periodArg);

const body = JSON.stringify({ serverUrl });
const request = Buffer.from(
  'POST /v1/token HTTP/1.1\r\nHost: mcptest-daemon\r\nContent-Type: application/json\r\n' +
    `X-Mcptest-Client: ${versionTag()}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
);
const HEAD_END = Buffer.from('\r\n\r\n');

/** One keep-alive connection; `ask()` resolves with the answer's status and body. */
class Connection {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: ((answer: { status: number; body: string }) => void) | null = null;
  private readonly sock: net.Socket;

  constructor(path: string) {
    this.sock = net.connect(path);
    this.sock.setNoDelay(true);
    this.sock.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.parse();
    });
    this.sock.on('error', (err) => {
      process.stderr.write(`load worker: ${err.message}\n`);
      process.exit(1);
    });
  }

  ask(): Promise<{ status: number; body: string }> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.sock.write(request);
    });
  }

  private parse(): void {
    const end = this.buf.indexOf(HEAD_END);
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end);
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buf.length < end + 4 + length) return;
    const status = Number(head.slice(9, 12));
    const answer = this.buf.toString('utf8', end + 4, end + 4 + length);
    this.buf = this.buf.subarray(end + 4 + length);
    const done = this.waiting;
    this.waiting = null;
    done?.({ status, body: answer });
  }

  close(): void {
    this.sock.end();
  }
}

const ok = (a: { status: number; body: string }) => a.status === 200 && a.body.includes('"accessToken":"');
const conns = Array.from({ length: clients }, () => new Connection(socket));
for (const c of conns) {
  const first = await c.ask(); // warm the connections, and fail loudly on a wrong setup
  if (!ok(first)) {
    process.stderr.write(`load worker: the daemon answered ${first.status}: ${first.body.slice(0, 200)}\n`);
    process.exit(1);
  }
}
const latencies: number[] = [];
let failed = 0;
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - performance.now())));
const started = performance.now();
await Promise.all(
  conns.map(async (c, i) => {
    let due = started + (period > 0 ? (i * period) / clients : 0);
    for (let k = 0; k < perClient; k++) {
      if (period > 0) await sleepUntil(due);
      const t0 = performance.now();
      const answer = await c.ask();
      if (ok(answer)) latencies.push(performance.now() - t0);
      else failed++;
      due += period;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
for (const c of conns) c.close();
process.stdout.write(JSON.stringify({ latencies, seconds, failed }));
