/**
 * The floor the daemon's socket figures are read against: a bare node:http server on a Unix
 * socket that answers every request with a fixed token-sized JSON body, doing nothing else.
 * `npm run bench` drives it with the same load generator, in the same run, as the daemon.
 * Usage: node reference-server.js <socket>; prints `listening` once it listens, stops on SIGTERM.
 */
import fs from 'node:fs';
import http from 'node:http';

const socket = process.argv[2];
fs.rmSync(socket, { force: true });
const body = JSON.stringify({
  accessToken: 'x'.repeat(800),
  tokenType: 'Bearer',
  expiresAt: Date.now() + 3_600_000,
  scope: 'mcp:read',
  fingerprint: 'sha256:0000000000000000',
  source: 'import',
});
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(socket, () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
