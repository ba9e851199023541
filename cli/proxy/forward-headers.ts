/**
 * Which headers cross the proxy. Hop-by-hop headers (RFC 9110 §7.6.1) stay on their hop; the
 * client's own credentials and the proxy's secret never reach the server; everything else
 * (`Mcp-Session-Id`, `Accept`, `Last-Event-ID`, …) passes through both ways.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** The header that may carry the proxy's secret instead of the path prefix. */
export const SECRET_HEADER = 'x-mcptest-proxy-secret';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function hopByHop(headers: IncomingHttpHeaders): Set<string> {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return new Set([...HOP_BY_HOP, ...named]);
}

/** The request headers sent upstream: without hop-by-hop ones, Host, Authorization, Cookie or the secret. */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const drop = hopByHop(headers);
  for (const name of ['host', 'authorization', 'cookie', SECRET_HEADER]) drop.add(name);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !drop.has(name)) out[name] = value;
  }
  return out;
}

/** The response headers sent back to the client: without hop-by-hop ones. */
export function clientResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const drop = hopByHop(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !drop.has(name)) out[name] = value;
  }
  return out;
}
